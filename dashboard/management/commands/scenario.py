"""`python manage.py scenario [SLUG] [--cluster NAME] [--step N]`: reset a cluster to a classroom
scenario (or list them). Pages that watch the cluster resync by themselves within a second or two."""
from django.core.management.base import BaseCommand, CommandError

from dashboard import scenarios


class Command(BaseCommand):
    help = "Reset a cluster to a built-in classroom scenario; without SLUG, list the scenarios."

    def add_arguments(self, parser):
        parser.add_argument("slug", nargs="?")
        parser.add_argument("--cluster", default="default")
        parser.add_argument("--step", type=int, default=1, help="play the steps up to this one")

    def handle(self, *args, slug, cluster, step, **options):
        if not slug:
            for s in scenarios.SCENARIOS.values():
                self.stdout.write(f"{s.slug:20} {s.title}")
            return
        if slug not in scenarios.SCENARIOS:
            raise CommandError(f'no scenario "{slug}" (try: {", ".join(scenarios.SCENARIOS)})')
        scenarios.reset(cluster, slug, upto=step)
        self.stdout.write(f"cluster {cluster}: reset to {slug}, step {step}")
