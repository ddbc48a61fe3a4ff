"""`python manage.py kubeconfig [--cluster NAME] [--user NAME] [--server URL]`: print a kubeconfig.

    python manage.py kubeconfig > ~/.kube/kubesim && KUBECONFIG=~/.kube/kubesim kubectl get nodes

Run it against the server's database: the token is stored there and the CA is the one in
VAR_DIR/tls that `manage.py serve` uses for HTTPS (made here if the server never ran).
"""
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from cluster.bootstrap import DEFAULT_CLUSTER
from cluster.models import Cluster
from k8sapi.kubeconfig import TEACHER, kubeconfig_for, local_user, server_url


class Command(BaseCommand):
    help = "Print a kubeconfig (HTTPS server, CA, bearer token) for a local user and a cluster."

    def add_arguments(self, parser):
        parser.add_argument("--cluster", default=DEFAULT_CLUSTER, help="cluster name (default: %(default)s)")
        parser.add_argument("--user", default=TEACHER, help="local user (default: %(default)s, created if missing)")
        parser.add_argument("--server", help="API server URL (default: https://127.0.0.1:TLS_PORT/k8s/clusters/NAME)")
        parser.add_argument("--tls-port", type=int, default=8001,
                            help="HTTPS port of `manage.py serve` (default: %(default)s, the HTTP port + 1)")

    def handle(self, *args, cluster: str, user: str, server: str | None, tls_port: int, **options):
        row = Cluster.objects.filter(name=cluster).first()
        if row is None:
            raise CommandError(f'no cluster named "{cluster}"')
        try:
            account = local_user(user)
        except get_user_model().DoesNotExist:
            raise CommandError(f'no user named "{user}"') from None
        self.stdout.write(kubeconfig_for(account, row, server or server_url(row, tls_port=tls_port)), ending="")
