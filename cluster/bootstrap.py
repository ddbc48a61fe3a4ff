"""Clusters that must exist, and the demo cluster `make run` starts with."""
from __future__ import annotations

from django.db import transaction

from cluster import store
from cluster.models import Cluster, Namespace, Node

DEFAULT_CLUSTER = "default"
SYSTEM_NAMESPACES = ("default", "kube-system")


@transaction.atomic
def ensure_cluster(name: str = DEFAULT_CLUSTER, *, seed: int = 0) -> Cluster:
    """The cluster called `name`, created with its namespaces if it does not exist yet."""
    cluster, _ = Cluster.objects.get_or_create(name=name, defaults={"seed": seed})
    have = set(Namespace.objects.filter(cluster=cluster).values_list("name", flat=True))
    missing = [ns for ns in SYSTEM_NAMESPACES if ns not in have]
    if missing:
        store.create_many(
            cluster, [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}} for ns in missing]
        )
    return cluster


def node_manifest(name: str, *, labels: dict | None = None, taints: list | None = None, pods: int = 110) -> dict:
    obj = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", **(labels or {})},
        },
        "spec": {},
    }
    if taints:
        obj["spec"]["taints"] = taints
    if pods != 110:
        capacity = {"cpu": "4", "memory": "16Gi", "pods": str(pods), "ephemeral-storage": "100Gi"}
        obj["status"] = {"capacity": capacity, "allocatable": dict(capacity)}
    return obj


def load_demo(cluster: Cluster, *, nodes: int = 3) -> None:
    """A small cluster to start a class with: `nodes` Ready worker nodes, nothing else."""
    if Node.objects.filter(cluster=cluster).exists():
        return
    store.create_many(cluster, [node_manifest(f"node-{i}") for i in range(1, nodes + 1)])
