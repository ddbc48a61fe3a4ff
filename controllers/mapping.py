"""From a change to the keys that care (client-go's event handlers, as a function).

A pod change wakes its owner, the scheduler (if unbound) or the kubelet (if bound); a node
change wakes every DaemonSet, the scheduler and the node lifecycle controller; a deleted owner
wakes the garbage collector. Runs inside the writing transaction (`store.subscribe_in_transaction`),
so the wake-up is committed with the write that caused it.
"""
from __future__ import annotations

from datetime import timedelta

from cluster.models import Cluster, DaemonSet
from cluster.store import Touched
from controllers import queue

POD_GC_QUARANTINE = timedelta(seconds=40)  # podgc forcefully deletes orphaned pods after 40 s

OWNER_PREFIX = {"DaemonSet": "daemonset", "Job": "job", "CronJob": "cronjob"}


def _owner_key(t: Touched) -> str | None:
    prefix = OWNER_PREFIX.get(t.owner_kind)
    return f"{prefix}:{t.namespace}/{t.owner_name}" if prefix else None


def keys_for(cluster: Cluster, touched: list[Touched]) -> tuple[set[str], set[str]]:
    """(keys due now, keys due after the pod-GC quarantine)."""
    now_keys: set[str] = set()
    later: set[str] = set()
    wake_daemonsets = False
    for t in touched:
        owner = _owner_key(t)
        if owner:
            now_keys.add(owner)
        if t.kind == "Pod":
            if t.type != "DELETED":
                now_keys.add(f"kubelet:{t.namespace}/{t.name}" if t.node_name else "scheduler:")
            if t.type == "DELETED" or (t.node_name and (t.deleting or t.phase in ("Succeeded", "Failed"))):
                now_keys.add("scheduler:")  # capacity freed (a finished pod no longer counts)
        elif t.kind == "Node":
            wake_daemonsets = True
            now_keys.add("scheduler:")
            now_keys.add(f"nodelifecycle:{t.name}")
            if t.type == "DELETED":
                later.add("podgc:")
        elif t.kind in OWNER_PREFIX:
            now_keys.add(f"{OWNER_PREFIX[t.kind]}:{t.namespace}/{t.name}")
            if t.kind == "Job":
                now_keys.add(f"ttl:{t.namespace}/{t.name}")
        if t.kind in OWNER_PREFIX and (t.type == "DELETED" or t.deleting):
            now_keys.add(f"gc:{t.kind}/{t.uid}")  # its dependants must go (or wait, foreground)
        if t.type == "DELETED" and t.owner_uid and t.owner_kind in OWNER_PREFIX:
            now_keys.add(f"gc:{t.owner_kind}/{t.owner_uid}")  # a foreground owner may go now
    if wake_daemonsets:
        now_keys |= {
            f"daemonset:{ns}/{name}"
            for ns, name in DaemonSet.objects.filter(cluster=cluster).values_list("namespace", "name")
        }
    return now_keys, later


def enqueue_touched(cluster: Cluster, touched: list[Touched]) -> None:
    now_keys, later = keys_for(cluster, touched)
    if not now_keys and not later:
        return
    now = Cluster.objects.values_list("sim_now", flat=True).get(pk=cluster.pk)
    queue.add(cluster, now_keys, now)
    queue.add(cluster, later, now + POD_GC_QUARANTINE)


def all_workload_keys(cluster: Cluster) -> set[str]:
    """What a resync re-queues: every workload (as an informer's relist would), the scheduler
    and pod GC. Per-pod and per-node keys need no resync: the queue is a table, and a key lost
    to a crash rolls back with the transaction that claimed it."""
    from cluster.models import CronJob, Job

    keys = {"scheduler:", "podgc:"}
    for model, prefix in ((DaemonSet, "daemonset"), (Job, "job"), (CronJob, "cronjob")):
        keys |= {f"{prefix}:{ns}/{n}" for ns, n in model.objects.filter(cluster=cluster).values_list("namespace", "name")}
    keys |= {f"ttl:{ns}/{n}" for ns, n in Job.objects.filter(cluster=cluster, finished=True).values_list("namespace", "name")}
    return keys
