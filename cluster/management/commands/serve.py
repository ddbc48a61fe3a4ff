"""`python manage.py serve [HOST:PORT]`: migrate, seed a demo cluster on a new database, serve."""
from django.core.management import call_command
from django.core.management.base import BaseCommand

from cluster.bootstrap import ensure_cluster, load_demo
from cluster.models import Change


class Command(BaseCommand):
    help = "Migrate, load the demo cluster if the database is new, and serve with daphne (ASGI)."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-demo", action="store_true", help="do not add the demo nodes")

    def handle(self, *args, addrport: str, no_demo: bool, **options):
        from daphne.cli import CommandLineInterface
        from django.conf import settings

        call_command("migrate", interactive=False, verbosity=0)
        cluster = ensure_cluster()
        if not no_demo and not Change.objects.filter(cluster=cluster, kind="Node").exists():
            load_demo(cluster)
        host, _, port = addrport.rpartition(":")
        self.stdout.write(f"kubesim: serving http://{host}:{port}/ (admin at /admin/)")
        if settings.RECONCILER_MODE == "embedded":
            from twisted.internet import reactor  # daphne has installed its asyncio reactor by now

            from controllers.worker import start_embedded

            reactor.callWhenRunning(start_embedded)
        CommandLineInterface().run(["-b", host or "127.0.0.1", "-p", port, "config.asgi:application"])
