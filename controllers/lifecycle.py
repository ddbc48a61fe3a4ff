"""The actors around the workload controllers: node lifecycle, pod GC, garbage collector, TTL.

- Node lifecycle: turns a node's conditions and `spec.unschedulable` into taints (§1.2 of the
  semantics doc), marks a node whose kubelet stopped reporting `Unknown` after the grace
  period, and evicts pods from NoExecute-tainted nodes once their toleration runs out (the
  default `tolerationSeconds` is 300, added to every pod on create).
- Pod GC: deletes pods bound to nodes that no longer exist (after a 40 s quarantine).
- Garbage collector: deletes the dependants of a deleted owner (background), or of an owner
  being deleted in the foreground, then lets the owner go.
- TTL after finished: deletes a finished Job `ttlSecondsAfterFinished` after it finished.
"""
from __future__ import annotations

from datetime import timedelta

from cluster import store
from cluster.models import MODELS, Job, Node, Pod
from cluster.timeutil import format_time, parse_time
from controllers.engine import Result, Step, per_key, register
from controllers.models import ControllerMemory

NODE_MONITOR_GRACE_SECONDS = 50  # kube-controller-manager --node-monitor-grace-period (1.32)
CONDITION_TAINTS = {
    # condition type -> {status: taint key}
    "Ready": {"False": "node.kubernetes.io/not-ready", "Unknown": "node.kubernetes.io/unreachable"},
    "MemoryPressure": {"True": "node.kubernetes.io/memory-pressure"},
    "DiskPressure": {"True": "node.kubernetes.io/disk-pressure"},
    "PIDPressure": {"True": "node.kubernetes.io/pid-pressure"},
    "NetworkUnavailable": {"True": "node.kubernetes.io/network-unavailable"},
}
UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
MANAGED = {key for statuses in CONDITION_TAINTS.values() for key in statuses.values()} | {UNSCHEDULABLE}


def wanted_taints(node: dict) -> set[tuple[str, str]]:
    wanted = set()
    for cond in (node.get("status") or {}).get("conditions") or []:
        key = CONDITION_TAINTS.get(cond.get("type"), {}).get(cond.get("status"))
        if key:
            wanted.add((key, "NoSchedule"))
            if cond["type"] == "Ready":
                wanted.add((key, "NoExecute"))
    if (node.get("spec") or {}).get("unschedulable"):
        wanted.add((UNSCHEDULABLE, "NoSchedule"))
    return wanted


def _partition(step: Step, node: Node) -> dict | None:
    return ControllerMemory.objects.filter(cluster=step.cluster, owner_uid=node.uid, controller="node-partition").first()


def reconcile_node(step: Step, name: str) -> Result:
    node_row = Node.objects.filter(cluster=step.cluster, name=name).first()
    if node_row is None:
        return Result.done()
    node = node_row.to_dict()
    now_s = format_time(step.now)
    requeue: list[float] = []
    partition = _partition(step, node_row)
    ready = next((c for c in node["status"].get("conditions", []) if c["type"] == "Ready"), None)
    if partition and ready and ready["status"] != "Unknown":
        since = parse_time(partition.data["since"])
        unknown_at = since + timedelta(seconds=NODE_MONITOR_GRACE_SECONDS)
        if step.now >= unknown_at:
            for cond in node["status"]["conditions"]:
                cond.update(status="Unknown", reason="NodeStatusUnknown",
                            message="Kubelet stopped posting node status.", lastTransitionTime=now_s)
            node_row = Node.objects.get(pk=node_row.pk)
            store.update_status(node_row, node["status"])
            step.decide("node-lifecycle", "taint",
                        f"{name} sent no heartbeat for {NODE_MONITOR_GRACE_SECONDS} s → Ready=Unknown, tainted unreachable",
                        kind="Node", name=name, node=name)
            node_row = Node.objects.get(pk=node_row.pk)
            node = node_row.to_dict()
        else:
            requeue.append((unknown_at - step.now).total_seconds())
    taints = list((node.get("spec") or {}).get("taints") or [])
    wanted = wanted_taints(node)
    have = {(t["key"], t["effect"]) for t in taints if t["key"] in MANAGED}
    if have != wanted:
        kept = [t for t in taints if t["key"] not in MANAGED or (t["key"], t["effect"]) in wanted]
        added = [
            {"key": k, "effect": e, **({"timeAdded": now_s} if e == "NoExecute" else {})}
            for k, e in sorted(wanted - have)
        ]
        new = node_row.to_dict()
        new["spec"]["taints"] = kept + added
        if not new["spec"]["taints"]:
            del new["spec"]["taints"]
        store.update_many(step.cluster, [(node_row, new)])
        if added:
            step.decide("node-lifecycle", "taint",
                        f"{name}: added taint {', '.join(k + ':' + e for k, e in sorted(wanted - have))}",
                        kind="Node", name=name, node=name)
        node = new
    node = _stamp_no_execute_taints(step, node)
    requeue += _evict(step, node)
    return Result.after(min(requeue)) if requeue else Result.done()


def _stamp_no_execute_taints(step: Step, node: dict) -> dict:
    """A NoExecute taint added by hand (kubectl taint) has no timeAdded: the taint manager
    counts tolerationSeconds from when it first saw it, so write that down once."""
    taints = (node.get("spec") or {}).get("taints") or []
    if all(t.get("effect") != "NoExecute" or t.get("timeAdded") for t in taints):
        return node
    for taint in taints:
        if taint.get("effect") == "NoExecute" and not taint.get("timeAdded"):
            taint["timeAdded"] = format_time(step.now)
    row = Node.objects.get(cluster=step.cluster, name=node["metadata"]["name"])
    return store.update_many(step.cluster, [(row, node)])[0]


def _evict(step: Step, node: dict) -> list[float]:
    """Delete pods that do not tolerate the node's NoExecute taints (after tolerationSeconds)."""
    from controllers.daemonset_plan import toleration_tolerates_taint

    no_execute = [t for t in (node.get("spec") or {}).get("taints") or [] if t.get("effect") == "NoExecute"]
    if not no_execute:
        return []
    name = node["metadata"]["name"]
    pods = Pod.objects.filter(cluster=step.cluster, node_name=name, deletion_timestamp__isnull=True)
    evict, waits = [], []
    for pod in pods:
        tolerations = pod.spec.get("tolerations") or []
        deadline = None
        for taint in no_execute:
            matching = [t for t in tolerations if toleration_tolerates_taint(t, taint)]
            if not matching:
                deadline = step.now
                break
            seconds = [t["tolerationSeconds"] for t in matching if t.get("tolerationSeconds") is not None]
            if seconds and len(seconds) == len(matching):
                added = parse_time(taint.get("timeAdded") or format_time(step.now))
                at = added + timedelta(seconds=max(min(seconds), 0))
                deadline = at if deadline is None else min(deadline, at)
        if deadline is None:
            continue
        if deadline <= step.now:
            evict.append(pod)
        else:
            waits.append((deadline - step.now).total_seconds())
    if evict:
        store.delete_many(step.cluster, evict)
        store.record_events(
            step.cluster,
            [(p.to_dict(), "Normal", "TaintManagerEviction", f"Marking for deletion Pod {p.namespace}/{p.name}") for p in evict],
            component="taint-eviction-controller",
        )
        for p in evict:
            step.decide("node-lifecycle", "evict", f"{p.name} does not tolerate {name}'s NoExecute taint → evicted",
                        kind="Pod", namespace=p.namespace, name=p.name, node=name)
    return waits


def collect_orphan_pods(step: Step, names: list[str]) -> dict[str, Result]:
    """Pod GC: pods bound to nodes that no longer exist are deleted at once (force)."""
    nodes = set(Node.objects.filter(cluster=step.cluster).values_list("name", flat=True))
    orphans = [p for p in Pod.objects.filter(cluster=step.cluster).exclude(node_name="") if p.node_name not in nodes]
    if orphans:
        store.delete_many(step.cluster, orphans, grace_period_seconds=0)
        for p in orphans:
            step.decide("pod-gc", "delete", f"{p.name} was bound to {p.node_name}, which no longer exists → deleted",
                        kind="Pod", namespace=p.namespace, name=p.name, node=p.node_name)
    return {n: Result.done() for n in names}


def collect_dependants(step: Step, key: str) -> Result:
    """`gc:<Kind>/<uid>`: the owner is gone (or deleting in the foreground): remove its dependants."""
    kind, _, uid = key.partition("/")
    owner = MODELS[kind].objects.filter(cluster=step.cluster, uid=uid).first() if kind in MODELS else None
    foreground = owner is not None and owner.deletion_timestamp and "foregroundDeletion" in (owner.metadata.get("finalizers") or [])
    if owner is not None and not foreground:
        return Result.done()
    remaining = 0
    for model in MODELS.values():
        dependants = list(model.objects.filter(cluster=step.cluster, owner_uid=uid))
        remaining += len(dependants)
        live = [d for d in dependants if d.deletion_timestamp is None]
        if live:
            store.delete_many(step.cluster, live)  # each dependant goes in the background
            step.decide("garbage-collector", "delete",
                        f"{kind} {'being deleted' if owner else 'deleted'} → deleting {len(live)} dependant(s): "
                        + ", ".join(d.name for d in live[:5]) + ("…" if len(live) > 5 else ""),
                        kind=kind, name=owner.name if owner else "")
    if foreground and remaining == 0:
        new = owner.to_dict()
        new["metadata"]["finalizers"] = [f for f in new["metadata"].get("finalizers", []) if f != "foregroundDeletion"]
        store.update_many(step.cluster, [(owner, new)])
    return Result.done()  # each dependant's deletion wakes us again (controllers.mapping)


def expire_finished_job(step: Step, key: str) -> Result:
    """TTL-after-finished: delete a finished Job (foreground) `ttlSecondsAfterFinished` later."""
    namespace, _, name = key.partition("/")
    job = Job.objects.filter(cluster=step.cluster, namespace=namespace, name=name).first()
    if job is None or not job.finished or job.deletion_timestamp:
        return Result.done()
    ttl = job.spec.get("ttlSecondsAfterFinished")
    if ttl is None:
        return Result.done()
    finished = max(
        parse_time(c["lastTransitionTime"])
        for c in job.status.get("conditions", [])
        if c["type"] in ("Complete", "Failed") and c["status"] == "True"
    )
    expires = finished + timedelta(seconds=int(ttl))
    if step.now < expires:
        return Result.after((expires - step.now).total_seconds())
    store.delete(step.cluster, "Job", namespace, name, propagation_policy="Foreground")
    step.decide("ttl-after-finished", "delete", f"job {name} finished {ttl} s ago (ttlSecondsAfterFinished) → deleted",
                kind="Job", namespace=namespace, name=name)
    return Result.done()


register("nodelifecycle", per_key(reconcile_node))
register("podgc", collect_orphan_pods)
register("gc", per_key(collect_dependants))
register("ttl", per_key(expire_finished_job))
