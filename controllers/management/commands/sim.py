from django.core.management.base import BaseCommand, CommandError

from cluster.models import Cluster
from controllers import simulation


class Command(BaseCommand):
    help = "Simulated time: sim status|pause|resume|step|speed X|advance 90s|idle [--cluster NAME]"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["status", "pause", "resume", "step", "speed", "advance", "idle"])
        parser.add_argument("value", nargs="?")
        parser.add_argument("--cluster", default="default")

    def handle(self, *args, action, value, cluster, **options):
        row = Cluster.objects.filter(name=cluster).first()
        if row is None:
            raise CommandError(f'no cluster named "{cluster}"')
        try:
            if action == "pause":
                simulation.pause(row)
            elif action == "resume":
                simulation.resume(row)
            elif action == "step":
                if not simulation.step(row):
                    self.stdout.write("nothing queued")
            elif action == "speed":
                simulation.set_speed(row, float(value or ""))
            elif action == "advance":
                steps = simulation.advance(row, simulation.parse_duration(value or ""))
                self.stdout.write(f"ran {steps} step(s)")
            elif action == "idle":
                steps = simulation.run_until_idle(row)
                self.stdout.write(f"ran {steps} step(s)")
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(str(simulation.status(row)))
