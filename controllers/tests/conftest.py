"""Builders for controller tests: a cluster, nodes, and an engine stepped on simulated time."""
from __future__ import annotations

from datetime import timedelta

import pytest

from cluster import store
from cluster.bootstrap import ensure_cluster, node_manifest
from cluster.models import Pod
from controllers.engine import Engine


@pytest.fixture
def cluster(db):
    return ensure_cluster()


@pytest.fixture
def engine(cluster):
    return Engine(cluster)


def add_nodes(cluster, *names, **kwargs):
    store.create_many(cluster, [node_manifest(n, **kwargs) for n in names])


def pod_manifest(name: str, *, command=None, restart_policy: str = "Always", node: str | None = None,
                 annotations: dict | None = None, image: str = "busybox:1.36", **spec) -> dict:
    container = {"name": "main", "image": image}
    if command:
        container["command"] = command
    obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, **({"annotations": annotations} if annotations else {})},
        "spec": {"containers": [container], "restartPolicy": restart_policy, **spec},
    }
    if node:
        obj["spec"]["nodeName"] = node
    return obj


def pod_status(name: str, namespace: str = "default") -> dict:
    return Pod.objects.get(name=name, namespace=namespace).to_dict()["status"]


def seconds(n: float) -> timedelta:
    return timedelta(seconds=n)
