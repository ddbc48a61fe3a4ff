"""`python manage.py serve [HOST:PORT]`: migrate, seed a demo cluster on a new database, serve.

One process: daphne serves the pages, the admin, WebSockets and the Kubernetes API over HTTP on
PORT and over HTTPS on PORT+1 (kubectl only sends tokens over TLS), and runs the controllers.
"""
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from cluster.bootstrap import ensure_cluster, load_demo
from cluster.models import Change


class Command(BaseCommand):
    help = "Migrate, load the demo cluster if the database is new, and serve with daphne (ASGI)."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-demo", action="store_true", help="do not add the demo nodes")
        parser.add_argument("--tls-port", type=int, help="HTTPS port for the Kubernetes API (default PORT+1)")

    def handle(self, *args, addrport: str, no_demo: bool, tls_port: int | None, **options):
        from daphne.cli import CommandLineInterface

        call_command("migrate", interactive=False, verbosity=0)
        cluster = ensure_cluster()
        if not no_demo and not Change.objects.filter(cluster=cluster, kind="Node").exists():
            load_demo(cluster)
        host, _, port = addrport.rpartition(":")
        host = host or "127.0.0.1"
        tls_port = tls_port or int(port) + 1
        endpoints = [f"tcp:port={port}:interface={host}"]
        endpoints += self.tls_endpoints(host, tls_port)
        self.stdout.write(f"kubesim: serving http://{host}:{port}/ (admin at /admin/)")
        self.print_signin(host, port)
        if settings.RECONCILER_MODE == "embedded":
            from twisted.internet import reactor  # daphne has installed its asyncio reactor by now

            from controllers.worker import start_embedded

            reactor.callWhenRunning(start_embedded)
        argv = []
        for endpoint in endpoints:
            argv += ["-e", endpoint]
        CommandLineInterface().run([*argv, "config.asgi:application"])

    def tls_endpoints(self, host: str, port: int) -> list[str]:
        try:
            from k8sapi.tls import endpoint
        except ImportError:
            return []
        return [endpoint(host, port)]

    def print_signin(self, host: str, port: str) -> None:
        try:
            from dashboard.signin import signin_url
        except ImportError:
            return
        self.stdout.write(f"kubesim: sign in as the local teacher with {signin_url(f'http://{host}:{port}')}")
        self.stdout.flush()
