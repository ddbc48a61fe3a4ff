"""`python manage.py chaos ACTION ...`: the teacher's actions from the command line."""
from django.core.management.base import BaseCommand, CommandError

from cluster.errors import ApiError
from cluster.models import Cluster
from controllers import chaos

NODE_ACTIONS = {
    "remove-node": chaos.remove_node,
    "cordon": chaos.cordon,
    "uncordon": chaos.uncordon,
    "fail-node": chaos.fail_node,
    "partition-node": chaos.partition_node,
    "recover-node": chaos.recover_node,
}


def _pairs(values: list[str]) -> dict:
    return dict(v.split("=", 1) for v in values)


def _taint(spec: str) -> dict:
    left, _, effect = spec.rpartition(":")
    key, _, value = left.partition("=")
    return {"key": key, "effect": effect, **({"value": value} if value else {})}


class Command(BaseCommand):
    help = ("Chaos for demos: add-node NAME [--label k=v] [--taint k=v:Effect] [--pods N] | remove-node | "
            "cordon | uncordon | fail-node | partition-node | recover-node NAME | kill-pod NAME | "
            "crash NAME [--container C]  [--cluster NAME] [-n NAMESPACE]")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["add-node", *NODE_ACTIONS, "kill-pod", "crash"])
        parser.add_argument("name")
        parser.add_argument("--label", action="append", default=[])
        parser.add_argument("--taint", action="append", default=[])
        parser.add_argument("--pods", type=int, default=110)
        parser.add_argument("--container")
        parser.add_argument("--cluster", default="default")
        parser.add_argument("-n", "--namespace", default="default")

    def handle(self, *args, action, name, label, taint, pods, container, cluster, namespace, **options):
        row = Cluster.objects.filter(name=cluster).first()
        if row is None:
            raise CommandError(f'no cluster named "{cluster}"')
        try:
            if action == "add-node":
                done = chaos.add_node(row, name, labels=_pairs(label), taints=[_taint(t) for t in taint], pods=pods)
            elif action == "kill-pod":
                done = chaos.kill_pod(row, namespace, name)
            elif action == "crash":
                done = chaos.crash_container(row, namespace, name, container)
            else:
                done = NODE_ACTIONS[action](row, name)
        except (ApiError, ValueError) as exc:
            raise CommandError(getattr(exc, "message", str(exc))) from None
        self.stdout.write(f"{done.message}    ($ {done.kubectl})")
