"""The scheduler: binds pending pods to nodes, or says why it cannot.

Filters as kube-scheduler's default plugins do, for what the simulation models: NodeName,
NodeUnschedulable (a cordoned node, unless the pod tolerates `node.kubernetes.io/unschedulable`),
NodeAffinity (nodeSelector and required node affinity, `matchFields` included: that is how
DaemonSet pods are pinned), TaintToleration (NoSchedule and NoExecute), the node's pod capacity
(`status.allocatable.pods`, 110 by default) and CPU/memory requests against allocatable.
Among the nodes that fit it picks the least loaded (fewest pods, then name: deterministic).
When nothing fits the pod stays Pending with a `FailedScheduling` event in the scheduler's words:
`0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient cpu.`
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from cluster import reading, store
from cluster.jsondata import ViewMemo
from cluster.models import Event, Node, Pod
from cluster.quantity import parse_cpu, parse_memory
from cluster.timeutil import format_time
from controllers.daemonset_plan import node_selector_matches, toleration_tolerates_taint
from controllers.engine import Result, Step, register

COMPONENT = "default-scheduler"
UNSCHEDULABLE_TAINT = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}


@dataclass
class NodeRoom:
    """What is left on a node while this pass places pods."""

    node: dict
    pods: int = 0
    cpu: float = 0.0
    memory: float = 0.0
    max_pods: int = 110
    cpu_allocatable: float = 0.0
    memory_allocatable: float = 0.0
    reasons: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.node["metadata"]["name"]


def pod_requests(spec: dict) -> tuple[float, float]:
    cpu = memory = 0.0
    for c in spec.get("containers") or []:
        requests = (c.get("resources") or {}).get("requests") or {}
        cpu += parse_cpu(requests.get("cpu", "0"))
        memory += parse_memory(requests.get("memory", "0"))
    return cpu, memory


_REQUESTS = ViewMemo()


def _rooms(cluster) -> list[NodeRoom]:
    rooms = {}
    for obj in reading.views(Node.objects.filter(cluster=cluster).order_by("name")):
        alloc = (obj.get("status") or {}).get("allocatable") or {}
        rooms[obj["metadata"]["name"]] = NodeRoom(
            obj,
            max_pods=int(alloc.get("pods", 110)),
            cpu_allocatable=parse_cpu(alloc.get("cpu", "0")),
            memory_allocatable=parse_memory(alloc.get("memory", "0")),
        )
    running = Pod.objects.filter(cluster=cluster).exclude(node_name="").exclude(phase__in=["Succeeded", "Failed"])
    for node_name, pod in reading.views(running, "node_name"):
        room = rooms.get(node_name)
        if room:
            spec = pod["spec"]  # a shared read-only view: its requests are worked out once
            cpu, memory = _REQUESTS.get((spec,), lambda spec=spec: pod_requests(spec))
            room.pods += 1
            room.cpu += cpu
            room.memory += memory
    return list(rooms.values())


def _taint_text(taint: dict) -> str:
    return "{" + f"{taint['key']}: {taint.get('value', '')}" + "}"


def unfit_reason(pod: dict, room: NodeRoom, requests: tuple[float, float] | None = None) -> str | None:
    """Why `pod` cannot go to this node, in the scheduler's words; None if it fits.
    (`requests`: the pod's `pod_requests`, when the caller has worked them out already.)"""
    spec = pod.get("spec") or {}
    node = room.node
    tolerations = spec.get("tolerations") or []
    node_spec = node.get("spec") or {}
    if node_spec.get("unschedulable") and not any(toleration_tolerates_taint(t, UNSCHEDULABLE_TAINT) for t in tolerations):
        return "node(s) were unschedulable"
    selector = spec.get("nodeSelector") or {}
    labels = node["metadata"].get("labels") or {}
    if any(labels.get(k) != v for k, v in selector.items()):
        return AFFINITY_MISMATCH
    required = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution"))
    if required and not node_selector_matches(required, node):
        return AFFINITY_MISMATCH
    for taint in node_spec.get("taints") or []:
        if taint.get("effect") in ("NoSchedule", "NoExecute") and not any(
            toleration_tolerates_taint(t, taint) for t in tolerations
        ):
            return f"node(s) had untolerated taint {_taint_text(taint)}"
    if room.pods + 1 > room.max_pods:
        return "Too many pods"
    cpu, memory = requests or pod_requests(spec)
    if cpu and room.cpu + cpu > room.cpu_allocatable:
        return "Insufficient cpu"
    if memory and room.memory + memory > room.memory_allocatable:
        return "Insufficient memory"
    return None


AFFINITY_MISMATCH = "node(s) didn't match Pod's node affinity/selector"


def pinned_nodes(spec: dict) -> set[str] | None:
    """The node names a pod's required affinity allows by `metadata.name` (DaemonSet pods), if
    every term pins names that way; None when the pod may go anywhere its other rules allow."""
    required = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    terms = required.get("nodeSelectorTerms") or []
    names: set[str] = set()
    for term in terms:
        fields = [f for f in term.get("matchFields") or [] if f.get("key") == "metadata.name" and f.get("operator") == "In"]
        if not fields:
            return None
        names |= set(fields[0].get("values") or [])
    return names if terms else None


def failure_message(total: int, reasons: list[str]) -> str:
    counts = Counter(reasons)
    parts = sorted(f"{n} {reason}" for reason, n in counts.items())
    return f"0/{total} nodes are available: {', '.join(parts)}."


def schedule(step: Step, names: list[str]) -> dict[str, Result]:
    cluster, now_s = step.cluster, format_time(step.now)
    pending = reading.stored(
        Pod.objects.filter(cluster=cluster, node_name="", phase="Pending", deletion_timestamp__isnull=True)
        .order_by("creation_timestamp", "name")
    )
    if not pending:
        return {name: Result.done() for name in names}
    rooms = _rooms(cluster)
    by_name = {room.name: room for room in rooms}
    bound, failures = [], []
    for pod in pending:
        obj = pod.view()
        pinned = pinned_nodes(obj.get("spec") or {})
        candidates = rooms if pinned is None else [by_name[n] for n in sorted(pinned) if n in by_name]
        reasons = [AFFINITY_MISMATCH] * (len(rooms) - len(candidates))
        fits = []
        requests = pod_requests(obj.get("spec") or {})
        for room in candidates:
            reason = unfit_reason(obj, room, requests)
            (reasons.append(reason) if reason else fits.append(room))
        if not fits:
            failures.append((obj, failure_message(len(rooms), reasons)))
            continue
        room = min(fits, key=lambda r: (r.pods, r.name))
        cpu, memory = requests
        room.pods += 1
        room.cpu += cpu
        room.memory += memory
        conditions = [c for c in obj["status"].get("conditions", []) if c.get("type") != "PodScheduled"]
        scheduled = {"type": "PodScheduled", "status": "True", "lastProbeTime": None, "lastTransitionTime": now_s}
        bound.append((pod, {**obj, "spec": {**obj["spec"], "nodeName": room.name},
                            "status": {**obj["status"], "conditions": [scheduled, *conditions]}}))
    if bound:
        # A binding writes spec.nodeName (the pods/binding subresource) and the PodScheduled condition.
        store.update_many(cluster, bound, subresource="binding", trusted=True)  # built above
        store.record_events(
            cluster,
            [(o, "Normal", "Scheduled", f"Successfully assigned {o['metadata']['namespace']}/{o['metadata']['name']} to {o['spec']['nodeName']}")
             for _, o in bound],
            component=COMPONENT,
        )
        for _, o in bound:
            step.decide("scheduler", "bind", f"{o['metadata']['name']} → {o['spec']['nodeName']}",
                        kind="Pod", namespace=o["metadata"]["namespace"], name=o["metadata"]["name"],
                        node=o["spec"]["nodeName"])
    _report_failures(step, failures)
    return {name: Result.done() for name in names}


def _report_failures(step: Step, failures: list[tuple[dict, str]]) -> None:
    if not failures:
        return
    uids = [o["metadata"]["uid"] for o, _ in failures]
    seen = set(
        Event.objects.filter(cluster=step.cluster, involved_uid__in=uids, reason="FailedScheduling")
        .values_list("involved_uid", "body__message")
    )
    fresh = [(o, m) for o, m in failures if (o["metadata"]["uid"], m) not in seen]
    store.record_events(step.cluster, [(o, "Warning", "FailedScheduling", m) for o, m in fresh], component=COMPONENT)
    for o, message in fresh:
        step.decide("scheduler", "wait", f"{o['metadata']['name']} stays Pending: {message}",
                    kind="Pod", namespace=o["metadata"]["namespace"], name=o["metadata"]["name"])


register("scheduler", schedule)
