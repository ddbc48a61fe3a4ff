"""Driven by test_scale_out in its own process, against the scale-out database (PostgreSQL).

`churn`: queue probe keys in rounds while workers reconcile, SIGKILL the lease holder midway,
wait until the queue drains, and print a JSON report. `daemonset`: the same churn with a real
DaemonSet and node additions/removals, printing daemon pods per node once converged.
"""
from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time

import django

django.setup()

from cluster import store  # noqa: E402
from cluster.bootstrap import ensure_cluster, node_manifest  # noqa: E402
from cluster.models import DaemonSet, Node, Pod  # noqa: E402
from controllers import queue  # noqa: E402
from controllers.models import Decision, Lease, WorkItem  # noqa: E402

pause = threading.Event()


def wait_until(check, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        pause.wait(0.05)  # waiting on the worker processes
    return True


def holder_pid(cluster) -> int | None:
    lease = Lease.objects.filter(cluster=cluster).exclude(holder="").first()
    return int(lease.holder.split(":")[1]) if lease else None


def kill_holder(cluster) -> tuple[int, float]:
    assert wait_until(lambda: holder_pid(cluster) is not None, 30), "no worker took the lease"
    pid = holder_pid(cluster)
    os.kill(pid, signal.SIGKILL)
    return pid, time.time()


def churn(rounds: int = 6, keys: int = 30) -> dict:
    cluster = ensure_cluster()
    enqueued: dict[str, float] = {}
    killed = None
    for r in range(rounds):
        names = [f"probe:k{(r * 7 + i) % keys}" for i in range(keys // 2 + r)]
        now = store.now(cluster)
        queue.add(cluster, names, now)
        stamp = time.time()
        for n in names:
            enqueued[n.split(":", 1)[1]] = stamp
        if r == rounds // 2:
            killed = kill_holder(cluster)
        pause.wait(0.3)  # let the workers chew on this round before the next one lands
    drained = wait_until(lambda: not WorkItem.objects.filter(cluster=cluster, key__startswith="probe:").exists(), 60)
    runs = []
    for d in Decision.objects.filter(cluster=cluster, controller="probe"):
        pid, start, end = d.message.split()
        runs.append({"key": d.name, "pid": int(pid), "start": float(start), "end": float(end)})
    return {"drained": drained, "enqueued": enqueued, "runs": runs,
            "killed_pid": killed[0], "killed_at": killed[1]}


DS = {
    "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
    "spec": {"selector": {"matchLabels": {"app": "agent"}},
             "template": {"metadata": {"labels": {"app": "agent"}},
                          "spec": {"containers": [{"name": "agent", "image": "busybox:1.36", "command": ["sleep", "3600"]}]}}},
}


def daemon_pods(cluster) -> dict[str, int]:
    ds = DaemonSet.objects.get(cluster=cluster, name="agent")
    counts: dict[str, int] = {}
    for pod in Pod.objects.filter(cluster=cluster, owner_uid=ds.uid, deletion_timestamp__isnull=True):
        counts[pod.node_name] = counts.get(pod.node_name, 0) + 1
    return counts


def daemonset() -> dict:
    cluster = ensure_cluster("scale-ds")
    store.create_many(cluster, [node_manifest(f"n{i}") for i in range(3)])
    store.create(cluster, json.loads(json.dumps(DS)))
    for i in range(3, 9):
        store.create(cluster, node_manifest(f"n{i}"))
        if i == 5:
            killed = kill_holder(cluster)
        if i == 7:
            store.delete(cluster, "Node", "", "n1")
        pause.wait(0.3)

    def converged() -> bool:
        nodes = set(Node.objects.filter(cluster=cluster).values_list("name", flat=True))
        pods = daemon_pods(cluster)
        running = Pod.objects.filter(cluster=cluster, phase="Running", owner_kind="DaemonSet").count()
        return set(pods) == nodes and all(v == 1 for v in pods.values()) and running == len(nodes)

    ok = wait_until(converged, 90)
    return {"converged": ok, "nodes": sorted(Node.objects.filter(cluster=cluster).values_list("name", flat=True)),
            "pods": daemon_pods(cluster), "killed_pid": killed[0]}


if __name__ == "__main__":
    print(json.dumps({"churn": churn, "daemonset": daemonset}[sys.argv[1]]()))
