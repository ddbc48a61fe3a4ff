from django.core.management.base import BaseCommand

from cluster import kubectl


class Command(BaseCommand):
    help = "kubectl against a simulated cluster: get, apply, create, delete, describe, label, taint, cordon..."

    def run_from_argv(self, argv):
        # Everything after `kubectl` is kubectl's own syntax; Django's option parser stays out.
        import django

        django.setup()
        raise SystemExit(kubectl.run(argv[2:]))

    def handle(self, *args, **options):  # pragma: no cover - run_from_argv does the work
        raise SystemExit(kubectl.run(list(args)))
