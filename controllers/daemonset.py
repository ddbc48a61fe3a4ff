"""The DaemonSet controller: observe, plan (`daemonset_plan`, pure), act through the store.

One pass of `reconcile_daemonset(step, "namespace/name")`, as `syncDaemonSet` does it:
claim pods (adopt matching orphans, release owned pods that stopped matching), construct the
revision history (ControllerRevisions), plan per node, create pods in slow-start batches and
delete pods (each with its `SuccessfulCreate`/`SuccessfulDelete` event), clean old revisions,
and write the status only when it changed. Every node's verdict is kept (the latest, for
"why is there no pod on node-4?") and the actions go to the decision log.
"""
from __future__ import annotations

from cluster import reading, store
from cluster.models import ControllerRevision, DaemonSet, Node, Pod, copy_json
from cluster.selectors import matches, selector_requirements
from controllers import daemonset_plan as plan_
from controllers.engine import Result, Step, per_key, register
from controllers.models import ControllerMemory

COMPONENT = "daemonset-controller"
QUIET_VERDICTS = {"keep"}


def _memory(step: Step, ds: DaemonSet) -> ControllerMemory:
    memory, _ = ControllerMemory.objects.get_or_create(
        cluster=step.cluster, owner_uid=ds.uid, controller="daemonset", defaults={"data": {}}
    )
    return memory


def claim_pods(step: Step, ds: dict) -> list[dict]:
    """The pods this DaemonSet controls, adopting orphans and releasing strays (ClaimPods).

    Returns read-only views (`cluster.reading`)."""
    meta = ds["metadata"]
    reqs = selector_requirements((ds.get("spec") or {}).get("selector"))
    rows = reading.views(
        Pod.objects.filter(cluster=step.cluster, namespace=meta["namespace"], owner_uid__in=[meta["uid"], ""]),
        "owner_uid",
    )
    owned, adopt, release = [], [], []
    for owner_uid, obj in rows:
        matching = bool(reqs) and matches(reqs, obj["metadata"].get("labels"))
        if owner_uid == meta["uid"]:
            (owned if matching else release).append(obj)
        elif matching and not obj["metadata"].get("deletionTimestamp"):
            adopt.append(obj)
    if adopt or release:
        names = [o["metadata"]["name"] for o in adopt + release]
        stored = {p.name: p for p in Pod.objects.filter(cluster=step.cluster, namespace=meta["namespace"], name__in=names)}
        adopted = []
        for view in adopt:
            obj = copy_json(view)
            obj["metadata"].setdefault("ownerReferences", []).append(plan_.controller_ref(ds))
            adopted.append((stored[obj["metadata"]["name"]], obj))
        released = []
        for view in release:
            obj = copy_json(view)
            obj["metadata"]["ownerReferences"] = [
                r for r in obj["metadata"].get("ownerReferences", []) if r.get("uid") != meta["uid"]
            ]
            released.append((stored[obj["metadata"]["name"]], obj))
        if adopted:
            owned += store.update_many(step.cluster, adopted)
        if released:
            store.update_many(step.cluster, released)
    return owned


def sync_history(step: Step, ds_row: DaemonSet, pods: list[dict]) -> tuple[str, "plan_.HistoryPlan"]:
    """constructHistory: make sure the current template has a ControllerRevision."""
    ds = ds_row.to_dict()
    rows = {r.name: r for r in ControllerRevision.objects.filter(cluster=step.cluster, owner_uid=ds_row.uid)}
    history = plan_.plan_history(ds, [r.to_dict() for r in rows.values()], pods)
    if history.update:
        store.update_many(step.cluster, [(rows[h["metadata"]["name"]], h) for h in history.update])
    if history.delete:
        store.delete_many(step.cluster, [rows[n] for n in history.delete])
    if history.relabel_pods:
        relabel = Pod.objects.filter(cluster=step.cluster, owner_uid=ds_row.uid, name__in=history.relabel_pods)
        pairs = []
        for pod in relabel:
            obj = pod.to_dict()
            obj["metadata"].setdefault("labels", {})[plan_.CONTROLLER_REVISION_HASH_LABEL] = history.current_hash
            pairs.append((pod, obj))
        store.update_many(step.cluster, pairs)
    if history.create:
        store.create(step.cluster, history.create)
    return history.current_hash, history


def reconcile_daemonset(step: Step, key: str) -> Result:
    namespace, _, name = key.partition("/")
    row = DaemonSet.objects.filter(cluster=step.cluster, namespace=namespace, name=name).first()
    if row is None or row.deletion_timestamp:
        return Result.done()  # gone: the garbage collector removes its pods
    ds = row.to_dict()
    pods = claim_pods(step, ds)
    current_hash, history = sync_history(step, row, pods)
    if history.collision_count is not None:
        ds.setdefault("status", {})["collisionCount"] = history.collision_count
    nodes = reading.views(Node.objects.filter(cluster=step.cluster).order_by("name"))
    memory = _memory(step, row)
    plan = plan_.plan_daemonset(ds, nodes, pods, now=step.now, current_hash=current_hash,
                                backoff=memory.data.get("backoff"), shared_nodes=True)
    created = _create_pods(step, ds, plan)
    deleted = _delete_pods(step, row.uid, plan)
    events = [(ds, e.type, e.reason, e.message) for e in plan.events]
    events += [(ds, "Normal", "SuccessfulCreate", f"Created pod: {n}") for n in created]
    events += [(ds, "Normal", "SuccessfulDelete", f"Deleted pod: {n}") for n in deleted]
    store.record_events(step.cluster, events, component=COMPONENT)
    doomed = history.cleanup(pods)
    if doomed:
        store.delete_many(step.cluster, list(ControllerRevision.objects.filter(
            cluster=step.cluster, owner_uid=row.uid, name__in=doomed)))
    fresh = DaemonSet.objects.get(pk=row.pk)
    if plan.status_changed(fresh.status):
        store.update_status(fresh, {**fresh.status, **plan.status})
    _remember(step, row, memory, plan, created)
    return Result.after(plan.requeue_after)


def _create_pods(step: Step, ds: dict, plan: "plan_.DaemonSetPlan") -> list[str]:
    """syncNodes: slow-start batches 1, 2, 4, ... (all succeed at once here: no API errors)."""
    nodes = list(plan.create_on)
    created: list[str] = []
    start = 0
    for size in plan_.slow_start_batches(len(nodes)):
        batch = [plan.pod_for(ds, node) for node in nodes[start:start + size]]
        start += size
        created += [o["metadata"]["name"] for o in store.create_many(step.cluster, batch, one_template=True)]
    return created


def _delete_pods(step: Step, ds_uid: str, plan: "plan_.DaemonSetPlan") -> list[str]:
    if not plan.delete:
        return []
    rows = list(Pod.objects.filter(cluster=step.cluster, owner_uid=ds_uid, name__in=plan.delete))
    store.delete_many(step.cluster, rows)
    return [r.name for r in rows]


def _remember(step: Step, row: DaemonSet, memory: ControllerMemory, plan, created: list[str]) -> None:
    """Keep the per-node verdicts (the latest) and log what changed since the last pass."""
    verdicts = {d.node: {"verdict": d.verdict, "reason": d.reason, "message": d.message} for d in plan.decisions}
    previous = memory.data.get("nodes", {})
    by_node = dict(zip(plan.create_on, created))
    for d in plan.decisions:
        before = previous.get(d.node, {})
        if d.verdict in QUIET_VERDICTS and before.get("verdict") in QUIET_VERDICTS | {None, "create"}:
            continue
        if before.get("message") == d.message and d.verdict not in ("create", "delete", "delete-extra"):
            continue
        if d.verdict == "create" and d.node not in by_node:
            continue  # beyond this pass's burst limit (the plan's note says so): logged when created
        message = d.message + (f" → created {by_node[d.node]}" if d.node in by_node else "")
        step.decide(COMPONENT, d.verdict, message, kind="DaemonSet", namespace=row.namespace, name=row.name, node=d.node)
    for note in plan.notes:
        if note not in memory.data.get("notes", []):
            step.decide(COMPONENT, "note", note, kind="DaemonSet", namespace=row.namespace, name=row.name)
    data = {"backoff": plan.backoff, "nodes": verdicts, "notes": list(plan.notes)}
    if data != memory.data:
        memory.data = data
        memory.save(update_fields=["data"])


register("daemonset", per_key(reconcile_daemonset))
