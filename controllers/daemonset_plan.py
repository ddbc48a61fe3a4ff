"""Pure planning core of the DaemonSet controller.

A faithful re-implementation, on plain Kubernetes-shaped dicts, of what kube-controller-manager's
DaemonSet controller decides in one sync (``pkg/controller/daemon``):

- ``daemon_controller.go``: ``syncDaemonSet`` → ``manage`` / ``podsShouldBeOnNode`` →
  ``syncNodes`` (burst cap, slow start) → ``updateDaemonSetStatus`` / ``storeDaemonSetStatus``;
  ``NodeShouldRunDaemonPod``; ``podByCreationTimestampAndPhase``; the failed-pod back-off.
- ``update.go``: ``rollingUpdate`` (with and without surge), ``findUpdatedPodsOnNode``,
  ``updatedDesiredNodeCounts``, ``constructHistory``, ``dedupCurHistories``, ``snapshot``,
  ``cleanupHistory``.
- ``util/daemonset_util.go``: ``AddOrUpdateDaemonPodTolerations``, ``CreatePodTemplate``,
  ``ReplaceDaemonSetPodNodeNameNodeAffinity``, ``GetTargetNodeName``, ``IsPodUpdated``,
  ``SurgeCount`` / ``UnavailableCount``.
- ``controller_utils.go``: ``ComputeHash`` (FNV-32a) and ``rand.SafeEncodeString``.

Everything here is pure: no Django, no I/O, no clock reads, no randomness. The caller passes
``now`` and the objects, and applies the returned plan (creating pods with ``generateName``,
deleting pods, writing revisions and status, emitting ``SuccessfulCreate``/``SuccessfulDelete``).

Deliberate differences from upstream, each forced by the simulator's shape:

- Upstream iterates Go maps (random order); we always go by node name, so which old pods a
  rolling update replaces first is deterministic.
- Upstream runs the update strategy only when its expectations are satisfied, i.e. when the
  informer has seen the creations/deletions ``manage()`` issued. In a real cluster that is the
  *next* sync. Our writes are synchronous and the caller re-runs the planner, so we run the
  update strategy only in a pass where ``manage()`` planned no creations or deletions: the
  following pass plays the role of upstream's re-list with satisfied expectations.
- ``hash`` bytes differ from Go's ``DeepHashObject`` (see ``compute_hash``).
"""

from __future__ import annotations

import functools
import json
import math
import struct
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Mapping

from cluster.jsondata import ViewMemo, copy_json
from cluster.timeutil import parse_optional_time as parse_time

Obj = dict[str, Any]

BURST_REPLICAS = 250
SLOW_START_INITIAL_BATCH_SIZE = 1

CONTROLLER_REVISION_HASH_LABEL = "controller-revision-hash"
TEMPLATE_GENERATION_LABEL = "pod-template-generation"
TEMPLATE_GENERATION_ANNOTATION = "deprecated.daemonset.template.generation"
NODE_NAME_FIELD = "metadata.name"
DEFAULT_REVISION_HISTORY_LIMIT = 10

FAILED_POD_BACKOFF_INITIAL_SECONDS = 1.0
FAILED_POD_BACKOFF_MAX_SECONDS = 15 * 60.0

SAFE_ENCODE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"

NO_SCHEDULE = "NoSchedule"
NO_EXECUTE = "NoExecute"

# AddOrUpdateDaemonPodTolerations, in upstream order. Operator Exists, no tolerationSeconds.
DAEMON_POD_TOLERATIONS: tuple[Obj, ...] = (
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": NO_EXECUTE},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": NO_EXECUTE},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": NO_SCHEDULE},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": NO_SCHEDULE},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": NO_SCHEDULE},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": NO_SCHEDULE},
)
HOST_NETWORK_TOLERATION: Obj = {
    "key": "node.kubernetes.io/network-unavailable",
    "operator": "Exists",
    "effect": NO_SCHEDULE,
}

# Event reasons the planner emits (SuccessfulCreate/SuccessfulDelete come from the caller's writes).
SELECTING_ALL_REASON = "SelectingAll"
FAILED_DAEMON_POD_REASON = "FailedDaemonPod"
SUCCEEDED_DAEMON_POD_REASON = "SucceededDaemonPod"

STATUS_COUNTERS = (
    "desiredNumberScheduled",
    "currentNumberScheduled",
    "numberMisscheduled",
    "numberReady",
    "updatedNumberScheduled",
    "numberAvailable",
    "numberUnavailable",
)


# --------------------------------------------------------------------------------------------
# Small accessors and time helpers
# --------------------------------------------------------------------------------------------


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def _name(obj: Mapping[str, Any]) -> str:
    return _meta(obj).get("name", "")


def _labels(obj: Mapping[str, Any]) -> Mapping[str, str]:
    return _meta(obj).get("labels") or {}


def _template(ds: Mapping[str, Any]) -> Mapping[str, Any]:
    return (ds.get("spec") or {}).get("template") or {}


def _template_spec(ds: Mapping[str, Any]) -> Mapping[str, Any]:
    return _template(ds).get("spec") or {}


def _min_ready_seconds(ds: Mapping[str, Any]) -> int:
    return int((ds.get("spec") or {}).get("minReadySeconds") or 0)


def format_time(moment: datetime) -> str:
    """Render an aware datetime as RFC3339 in UTC, with fractional seconds only when present."""
    moment = moment.astimezone(timezone.utc)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}"
    return text + "Z"


def _seconds(value: float) -> str:
    """1.0 → "1s", 2.5 → "2.5s" (for plain-language sentences)."""
    rounded = round(value, 3)
    return f"{int(rounded)}s" if rounded == int(rounded) else f"{rounded:g}s"


def _names(pods: Iterable[Mapping[str, Any]]) -> str:
    return ", ".join(_name(p) for p in pods)


# --------------------------------------------------------------------------------------------
# Placement: NodeShouldRunDaemonPod
# --------------------------------------------------------------------------------------------


def toleration_tolerates_taint(toleration: Mapping[str, Any], taint: Mapping[str, Any]) -> bool:
    """v1.Toleration.ToleratesTaint: empty effect matches all effects, empty key (with Exists)
    matches all keys, operator defaults to Equal."""
    effect = toleration.get("effect") or ""
    if effect and effect != taint.get("effect"):
        return False
    key = toleration.get("key") or ""
    if key and key != taint.get("key"):
        return False
    operator = toleration.get("operator") or "Equal"
    if operator == "Equal":
        return (toleration.get("value") or "") == (taint.get("value") or "")
    return operator == "Exists"


def find_untolerated_taint(
    taints: Iterable[Mapping[str, Any]],
    tolerations: Iterable[Mapping[str, Any]],
    effects: Iterable[str],
) -> Mapping[str, Any] | None:
    """v1helper.FindMatchingUntoleratedTaint: first taint with one of ``effects`` not tolerated."""
    tolerations = list(tolerations)
    wanted = set(effects)
    for taint in taints:
        if taint.get("effect") not in wanted:
            continue
        if not any(toleration_tolerates_taint(t, taint) for t in tolerations):
            return taint
    return None


def format_taint(taint: Mapping[str, Any]) -> str:
    value = taint.get("value")
    key = f"{taint.get('key', '')}={value}" if value else taint.get("key", "")
    return f"{key}:{taint.get('effect', '')}"


def _toleration_identity(toleration: Mapping[str, Any]) -> tuple[str, str, str, str]:
    """Fields compared by v1.Toleration.MatchToleration."""
    return (
        toleration.get("key") or "",
        toleration.get("operator") or "",
        toleration.get("value") or "",
        toleration.get("effect") or "",
    )


def add_or_update_daemon_pod_tolerations(pod_spec: Mapping[str, Any]) -> list[Obj]:
    """AddOrUpdateDaemonPodTolerations: the tolerations list of a daemon pod.

    Each automatic toleration replaces a template toleration with the same key, operator, value
    and effect (e.g. one carrying tolerationSeconds), otherwise it is appended.
    """
    tolerations = [dict(t) for t in pod_spec.get("tolerations") or []]
    automatic = list(DAEMON_POD_TOLERATIONS)
    if pod_spec.get("hostNetwork"):
        automatic.append(HOST_NETWORK_TOLERATION)
    for wanted in automatic:
        identity = _toleration_identity(wanted)
        matches = [i for i, t in enumerate(tolerations) if _toleration_identity(t) == identity]
        if not matches:
            tolerations.append(dict(wanted))
        for i in matches:
            tolerations[i] = dict(wanted)
    return tolerations


def _daemon_tolerations(pod_spec: Mapping[str, Any]) -> tuple[Obj, ...]:
    """add_or_update_daemon_pod_tolerations, computed once per distinct template (read-only)."""
    key = (tuple(tuple(sorted(t.items())) for t in pod_spec.get("tolerations") or ()), bool(pod_spec.get("hostNetwork")))
    return _daemon_tolerations_of(key)


@functools.lru_cache(maxsize=256)
def _daemon_tolerations_of(key: tuple) -> tuple[Obj, ...]:
    tolerations, host_network = key
    return tuple(add_or_update_daemon_pod_tolerations(
        {"tolerations": [dict(t) for t in tolerations], "hostNetwork": host_network}))


def _match_expression(requirement: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """One nodeSelectorTerms matchExpressions entry. Malformed requirements match nothing."""
    key = requirement.get("key", "")
    operator = requirement.get("operator")
    values = list(requirement.get("values") or [])
    present = key in labels
    if operator in ("In", "NotIn"):
        if not values:
            return False
        inside = present and labels[key] in values
        return inside if operator == "In" else not inside
    if operator in ("Exists", "DoesNotExist"):
        if values:
            return False
        return present if operator == "Exists" else not present
    if operator in ("Gt", "Lt"):
        if len(values) != 1 or not present:
            return False
        try:
            bound, actual = int(values[0]), int(labels[key])
        except ValueError:
            return False
        return actual > bound if operator == "Gt" else actual < bound
    return False


def _match_field(requirement: Mapping[str, Any], node_name: str) -> bool:
    """One matchFields entry: only metadata.name with In/NotIn and exactly one value."""
    values = list(requirement.get("values") or [])
    if requirement.get("key") != NODE_NAME_FIELD or len(values) != 1:
        return False
    if requirement.get("operator") == "In":
        return node_name == values[0]
    if requirement.get("operator") == "NotIn":
        return node_name != values[0]
    return False


def node_selector_matches(node_selector: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    """A v1.NodeSelector (required node affinity): terms ORed, requirements in a term ANDed.

    A term without any requirement matches nothing; so does an empty term list.
    """
    labels, node_name = _labels(node), _name(node)
    for term in node_selector.get("nodeSelectorTerms") or []:
        expressions = term.get("matchExpressions") or []
        fields = term.get("matchFields") or []
        if not expressions and not fields:
            continue
        if all(_match_expression(r, labels) for r in expressions) and all(
            _match_field(r, node_name) for r in fields
        ):
            return True
    return False


def _required_node_affinity(pod_spec: Mapping[str, Any]) -> Mapping[str, Any] | None:
    node_affinity = (pod_spec.get("affinity") or {}).get("nodeAffinity") or {}
    return node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution")


@dataclass(frozen=True)
class Placement:
    """NodeShouldRunDaemonPod's two booleans plus a sentence saying why."""

    should_run: bool
    should_continue_running: bool
    reason: str


def placement(node: Mapping[str, Any], ds: Mapping[str, Any]) -> Placement:
    """NodeShouldRunDaemonPod, explained. Resources, host ports and pod counts are not checked
    (the scheduler decides those), and node conditions only matter through their taints."""
    node_name = _name(node)
    spec = _template_spec(ds)
    wanted_node = spec.get("nodeName")
    if wanted_node and wanted_node != node_name:
        return Placement(False, False, f"template nodeName {wanted_node} is another node")

    clauses = []
    if wanted_node:
        clauses.append(f"template nodeName {wanted_node} is this node")

    node_selector = spec.get("nodeSelector") or {}
    if node_selector:
        labels = _labels(node)
        for key, value in node_selector.items():
            if labels.get(key) != value:
                return Placement(False, False, f"nodeSelector {key}={value} does not match")
        pairs = ",".join(f"{k}={v}" for k, v in node_selector.items())
        clauses.append(f"nodeSelector {pairs} matches")

    required = _required_node_affinity(spec)
    if required is not None:
        if not node_selector_matches(required, node):
            return Placement(False, False, "required node affinity does not match")
        clauses.append("required node affinity matches")

    taints = (node.get("spec") or {}).get("taints") or []
    tolerations = _daemon_tolerations(spec)
    untolerated = find_untolerated_taint(taints, tolerations, (NO_SCHEDULE, NO_EXECUTE))
    if untolerated is not None:
        # Scheduled daemon pods may stay unless a NoExecute taint is not tolerated.
        no_execute = find_untolerated_taint(taints, tolerations, (NO_EXECUTE,))
        if no_execute is not None:
            return Placement(False, False, f"taint {format_taint(no_execute)} not tolerated")
        return Placement(False, True, f"taint {format_taint(untolerated)} not tolerated")

    own_tolerations = spec.get("tolerations") or []
    for taint in taints:
        if taint.get("effect") not in (NO_SCHEDULE, NO_EXECUTE):
            continue
        if any(toleration_tolerates_taint(t, taint) for t in own_tolerations):
            clauses.append(f"taint {format_taint(taint)} tolerated")
        else:
            clauses.append(f"taint {format_taint(taint)} tolerated (DaemonSet pods tolerate it)")
    reason = "; ".join(clauses) or "no nodeSelector, node affinity or taint keeps it off this node"
    return Placement(True, True, reason)


_PLACEMENTS = ViewMemo()


def _placements(nodes: list[Mapping[str, Any]], ds: Mapping[str, Any]) -> dict[str, Placement]:
    """placement() for every node, remembered across passes: a node whose metadata and spec are
    the very same (shared, read-only) values as in an earlier pass, for the same placement rules
    of the template, gets the verdict it got then."""
    spec = _template_spec(ds)
    rules = json.dumps([spec.get(k) for k in ("nodeName", "nodeSelector", "affinity", "tolerations", "hostNetwork")],
                       sort_keys=True)
    return {node["metadata"]["name"]: _PLACEMENTS.get((node.get("metadata"), node.get("spec")),
                                                      lambda node=node: placement(node, ds), (rules,))
            for node in nodes}


def node_should_run_daemon_pod(node: Mapping[str, Any], ds: Mapping[str, Any]) -> tuple[bool, bool, str]:
    """(should_run, should_continue_running, reason) exactly as NodeShouldRunDaemonPod."""
    result = placement(node, ds)
    return result.should_run, result.should_continue_running, result.reason


# --------------------------------------------------------------------------------------------
# Daemon pods: building them, finding their node, predicates, ordering
# --------------------------------------------------------------------------------------------


def template_generation(ds: Mapping[str, Any]) -> int | None:
    """GetTemplateGeneration: the deprecated annotation, or None when absent or unparsable."""
    raw = (_meta(ds).get("annotations") or {}).get(TEMPLATE_GENERATION_ANNOTATION)
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def replace_node_name_node_affinity(affinity: Mapping[str, Any] | None, node_name: str) -> Obj:
    """ReplaceDaemonSetPodNodeNameNodeAffinity: the required node affinity becomes exactly one
    term ``matchFields metadata.name In [node]``; preferred terms and pod (anti-)affinity stay."""
    result = copy_json(dict(affinity or {}))
    node_affinity = dict(result.get("nodeAffinity") or {})
    required = dict(node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    required["nodeSelectorTerms"] = [
        {"matchFields": [{"key": NODE_NAME_FIELD, "operator": "In", "values": [node_name]}]}
    ]
    node_affinity["requiredDuringSchedulingIgnoredDuringExecution"] = required
    result["nodeAffinity"] = node_affinity
    return result


def new_daemon_pod(ds: Mapping[str, Any], node_name: str, hash: str) -> Obj:
    """The pod the controller creates for ``node_name`` (CreatePodTemplate + syncNodes).

    Unbound: the scheduler binds it through the node-affinity term. (A template that itself sets
    ``spec.nodeName`` keeps it, as upstream copies the template spec verbatim.) The caller fills
    in the name from ``metadata.generateName`` and the server-side fields.
    """
    template = _template(ds)
    template_meta = template.get("metadata") or {}
    generation = template_generation(ds)
    labels = dict(template_meta.get("labels") or {})
    labels[TEMPLATE_GENERATION_LABEL] = str(generation if generation is not None else 1)
    labels[CONTROLLER_REVISION_HASH_LABEL] = hash

    metadata: Obj = {
        "generateName": f"{_name(ds)}-",
        "namespace": _meta(ds).get("namespace", "default"),
        "labels": labels,
        "ownerReferences": [controller_ref(ds)],
    }
    if template_meta.get("annotations"):
        metadata["annotations"] = dict(template_meta["annotations"])
    if template_meta.get("finalizers"):
        metadata["finalizers"] = list(template_meta["finalizers"])

    spec = copy_json(dict(template.get("spec") or {}))
    spec["tolerations"] = add_or_update_daemon_pod_tolerations(spec)
    spec["affinity"] = replace_node_name_node_affinity(spec.get("affinity"), node_name)
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": spec,
        "status": {"phase": "Pending"},
    }


def controller_ref(ds: Mapping[str, Any]) -> Obj:
    """metav1.NewControllerRef(ds, DaemonSet)."""
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "name": _name(ds),
        "uid": _meta(ds).get("uid", ""),
        "controller": True,
        "blockOwnerDeletion": True,
    }


def target_node(pod: Mapping[str, Any]) -> str | None:
    """GetTargetNodeName: spec.nodeName, else the single metadata.name In-value of the required
    node affinity; None when neither says (upstream logs and skips such pods)."""
    spec = pod.get("spec") or {}
    if spec.get("nodeName"):
        return spec["nodeName"]
    required = _required_node_affinity(spec)
    if not required:
        return None
    for term in required.get("nodeSelectorTerms") or []:
        for requirement in term.get("matchFields") or []:
            if requirement.get("key") == NODE_NAME_FIELD and requirement.get("operator") == "In":
                values = requirement.get("values") or []
                return values[0] if len(values) == 1 else None
    return None


def _ready_condition(pod: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for condition in (pod.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            return condition
    return None


def is_pod_ready(pod: Mapping[str, Any]) -> bool:
    condition = _ready_condition(pod)
    return condition is not None and condition.get("status") == "True"


def is_pod_available(pod: Mapping[str, Any], min_ready_seconds: int, now: datetime) -> bool:
    """podutil.IsPodAvailable: Ready, and Ready for longer than minReadySeconds
    (lastTransitionTime + minReadySeconds strictly before now), or minReadySeconds is 0."""
    if not is_pod_ready(pod):
        return False
    if min_ready_seconds == 0:
        return True
    since = parse_time((_ready_condition(pod) or {}).get("lastTransitionTime"))
    return since is not None and since + timedelta(seconds=min_ready_seconds) < now


def is_pod_updated(pod: Mapping[str, Any], hash: str, template_generation: int | str | None) -> bool:
    """IsPodUpdated: the pod carries the current revision hash, or (backward compatibility) the
    current template generation label."""
    labels = _labels(pod)
    hash_matches = bool(hash) and labels.get(CONTROLLER_REVISION_HASH_LABEL) == hash
    generation_matches = template_generation is not None and labels.get(
        TEMPLATE_GENERATION_LABEL
    ) == str(template_generation)
    return hash_matches or generation_matches


def is_terminating(pod: Mapping[str, Any]) -> bool:
    return bool(_meta(pod).get("deletionTimestamp"))


def _phase(pod: Mapping[str, Any]) -> str:
    return (pod.get("status") or {}).get("phase") or ""


def is_pod_terminal(pod: Mapping[str, Any]) -> bool:
    return _phase(pod) in ("Failed", "Succeeded")


_EPOCH = datetime(1, 1, 1, tzinfo=timezone.utc)


def pod_order_key(pod: Mapping[str, Any]) -> tuple[bool, datetime, str]:
    """podByCreationTimestampAndPhase: bound pods first, then oldest, ties broken by name."""
    unbound = not (pod.get("spec") or {}).get("nodeName")
    created = parse_time(_meta(pod).get("creationTimestamp")) or _EPOCH
    return unbound, created, _name(pod)


def nodes_to_daemon_pods(
    pods: Iterable[Mapping[str, Any]], *, include_deleted_terminal: bool = False
) -> dict[str, list[Mapping[str, Any]]]:
    """getNodesToDaemonPods: pods grouped by target node, each group in pod order.

    Pods that are both terminal and being deleted are left out unless asked for (the kubelet or
    pod GC removes them; only history cleanup still counts them).
    """
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for pod in pods:
        if not include_deleted_terminal and is_pod_terminal(pod) and is_terminating(pod):
            continue
        node_name = target_node(pod)
        if node_name is None:
            continue
        grouped.setdefault(node_name, []).append(pod)
    for group in grouped.values():
        group.sort(key=pod_order_key)
    return grouped


def slow_start_batches(count: int) -> list[int]:
    """syncNodes' slow start: batch sizes 1, 2, 4, … adding up to ``count``. The caller stops
    after the first batch that had an error and leaves the rest to the next pass."""
    batches: list[int] = []
    position, size = 0, min(count, SLOW_START_INITIAL_BATCH_SIZE)
    while position < count:
        batches.append(size)
        position += size
        size = min(2 * size, count - position)
    return batches


# --------------------------------------------------------------------------------------------
# Hash and ControllerRevision history
# --------------------------------------------------------------------------------------------


def _fnv32a(data: bytes) -> int:
    value = 0x811C9DC5
    for byte in data:
        value ^= byte
        value = (value * 0x01000193) & 0xFFFFFFFF
    return value


def safe_encode_string(text: str) -> str:
    """rand.SafeEncodeString: each character maps to alphabet[ord(c) % 27]."""
    return "".join(SAFE_ENCODE_ALPHABET[ord(c) % len(SAFE_ENCODE_ALPHABET)] for c in text)


def compute_hash(template: Mapping[str, Any], collision_count: int | None) -> str:
    """controller.ComputeHash: FNV-32a of the template, then of the collision count (as 8 bytes,
    little-endian uint32 then 4 zero bytes) when set, rendered as SafeEncodeString of the decimal
    value.

    The template bytes are canonical JSON (sorted keys, compact), not Go's DeepHashObject (a spew
    dump of the typed struct), so hashes differ from a real cluster's but are stable across runs
    and independent of key order.
    """
    canonical = json.dumps(template, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    data = canonical.encode("utf-8")
    if collision_count is not None:
        data += struct.pack("<I", collision_count & 0xFFFFFFFF) + b"\x00" * 4
    return safe_encode_string(str(_fnv32a(data)))


def revision_data(ds: Mapping[str, Any]) -> Obj:
    """getPatch: what a ControllerRevision stores, a patch that replaces spec.template."""
    template = copy_json(dict(_template(ds)))
    template["$patch"] = "replace"
    return {"spec": {"template": template}}


def _revision_template(revision: Mapping[str, Any]) -> Obj:
    template = dict(((revision.get("data") or {}).get("spec") or {}).get("template") or {})
    template.pop("$patch", None)
    return template


def revision_matches(ds: Mapping[str, Any], revision: Mapping[str, Any]) -> bool:
    """Match: the revision stores exactly the DaemonSet's current template."""
    return _revision_template(revision) == dict(_template(ds))


def _revision_number(revision: Mapping[str, Any]) -> int:
    return int(revision.get("revision") or 0)


def _revision_hash(revision: Mapping[str, Any]) -> str:
    return _labels(revision).get(CONTROLLER_REVISION_HASH_LABEL, "")


@dataclass(frozen=True)
class HistoryPlan:
    """constructHistory's outcome: the current revision and the writes that produce it.

    Apply in this order: ``update`` (relabel/renumber), ``relabel_pods`` (set the pods'
    controller-revision-hash label to ``current_hash``), ``delete`` (duplicates of the current
    revision), ``create``; write ``collision_count`` to ``status.collisionCount`` when it changed.
    If ``create`` fails with AlreadyExists (a name owned by someone else), bump collisionCount
    and plan again, as upstream's snapshot() does on the next sync.
    """

    current_hash: str
    current: Obj
    create: Obj | None
    update: tuple[Obj, ...]
    delete: tuple[str, ...]
    relabel_pods: tuple[str, ...]
    old: tuple[Obj, ...]
    collision_count: int | None
    revision_history_limit: int

    def cleanup(self, pods: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
        """cleanupHistory: names of old revisions to delete so that at most
        revisionHistoryLimit remain, oldest revision number first, skipping any revision whose
        hash a pod still carries (terminal pods being deleted count too). The current revision
        is never among ``old``."""
        to_kill = len(self.old) - self.revision_history_limit
        if to_kill <= 0:
            return ()
        live_hashes = {_labels(p).get(CONTROLLER_REVISION_HASH_LABEL) for p in pods} - {None, ""}
        doomed = []
        for revision in sorted(self.old, key=_revision_number):
            if to_kill <= 0:
                break
            if _revision_hash(revision) in live_hashes:
                continue
            doomed.append(_name(revision))
            to_kill -= 1
        return tuple(doomed)


def new_controller_revision(ds: Mapping[str, Any], hash: str, revision: int) -> Obj:
    """snapshot(): the ControllerRevision named ``<ds>-<hash>``."""
    labels = dict((_template(ds).get("metadata") or {}).get("labels") or {})
    labels[CONTROLLER_REVISION_HASH_LABEL] = hash
    metadata: Obj = {
        "name": f"{_name(ds)}-{hash}",
        "namespace": _meta(ds).get("namespace", "default"),
        "labels": labels,
        "ownerReferences": [controller_ref(ds)],
    }
    if _meta(ds).get("annotations"):
        metadata["annotations"] = dict(_meta(ds)["annotations"])
    return {
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": metadata,
        "data": revision_data(ds),
        "revision": revision,
    }


def plan_history(
    ds: Mapping[str, Any],
    revisions: Iterable[Mapping[str, Any]],
    pods: Iterable[Mapping[str, Any]] = (),
) -> HistoryPlan:
    """constructHistory over the DaemonSet's own ControllerRevisions (and, for dedup, its pods).

    - A revision without the hash label gets it, set to the revision's name (as upstream).
    - Revisions storing the current template are "current"; several are deduplicated keeping the
      highest revision number. Upstream then relabels *every* pod of the DaemonSet whose hash
      differs from the kept one, old-template pods included; this is mirrored in
      ``relabel_pods`` (duplicates only arise from races, so it is rare).
    - The current revision is renumbered to max(old)+1 when lower (this is what a rollback
      looks like: 1,2 → undo to 1 → 2,3).
    - No current revision → create ``<ds>-<hash>`` with revision max(old)+1. When that name is
      taken by a different template, collisionCount is bumped and the hash recomputed.
    """
    updates: dict[str, Obj] = {}
    current_candidates: list[Obj] = []
    old: list[Obj] = []
    for revision in sorted(revisions, key=lambda r: (_revision_number(r), _name(r))):
        revision = copy_json(dict(revision))
        if CONTROLLER_REVISION_HASH_LABEL not in _labels(revision):
            revision.setdefault("metadata", {}).setdefault("labels", {})
            revision["metadata"]["labels"][CONTROLLER_REVISION_HASH_LABEL] = _name(revision)
            updates[_name(revision)] = revision
        (current_candidates if revision_matches(ds, revision) else old).append(revision)

    collision_count = (ds.get("status") or {}).get("collisionCount")
    next_revision = max((_revision_number(r) for r in old), default=0) + 1
    create = None
    deletes: list[str] = []
    relabel: list[str] = []
    if current_candidates:
        current = _dedup_current_histories(current_candidates)
        current_hash = _revision_hash(current)
        deletes = [_name(r) for r in current_candidates if r is not current]
        if deletes:
            relabel = sorted(
                _name(p) for p in pods if _labels(p).get(CONTROLLER_REVISION_HASH_LABEL) != current_hash
            )
        if _revision_number(current) < next_revision:
            current["revision"] = next_revision
            updates[_name(current)] = current
    else:
        taken = {_name(r) for r in old}
        current_hash = compute_hash(_template(ds), collision_count)
        while f"{_name(ds)}-{current_hash}" in taken:
            collision_count = (collision_count or 0) + 1
            current_hash = compute_hash(_template(ds), collision_count)
        current = create = new_controller_revision(ds, current_hash, next_revision)

    limit = (ds.get("spec") or {}).get("revisionHistoryLimit")
    return HistoryPlan(
        current_hash=current_hash,
        current=current,
        create=create,
        update=tuple(updates[name] for name in sorted(updates)),
        delete=tuple(deletes),
        relabel_pods=tuple(relabel),
        old=tuple(old),
        collision_count=collision_count,
        revision_history_limit=DEFAULT_REVISION_HISTORY_LIMIT if limit is None else int(limit),
    )


def _dedup_current_histories(candidates: list[Obj]) -> Obj:
    """dedupCurHistories: keep the one with the highest revision (the last such, as upstream)."""
    keep = candidates[0]
    for candidate in candidates:
        if _revision_number(candidate) >= _revision_number(keep):
            keep = candidate
    return keep


# --------------------------------------------------------------------------------------------
# Update strategy arithmetic
# --------------------------------------------------------------------------------------------


def scaled_value(value: int | str | None, total: int, default: int) -> int:
    """intstr.GetScaledValueFromIntOrPercent(..., roundUp=true). Strings must be percentages."""
    if value is None:
        return default
    if isinstance(value, int):
        return value
    if not value.endswith("%"):
        raise ValueError(f"invalid value for IntOrString: {value!r} is not a percentage")
    return math.ceil(int(value[:-1]) * total / 100)


def _rolling_update_params(ds: Mapping[str, Any]) -> Mapping[str, Any] | None:
    strategy = (ds.get("spec") or {}).get("updateStrategy") or {}
    if (strategy.get("type") or "RollingUpdate") != "RollingUpdate":
        return None
    return strategy.get("rollingUpdate") or {}


def _is_on_delete(ds: Mapping[str, Any]) -> bool:
    return _rolling_update_params(ds) is None


def surge_count(ds: Mapping[str, Any], number_to_schedule: int) -> int:
    """SurgeCount: 0 unless RollingUpdate with maxSurge."""
    params = _rolling_update_params(ds)
    return 0 if params is None else scaled_value(params.get("maxSurge"), number_to_schedule, 0)


def unavailable_count(ds: Mapping[str, Any], number_to_schedule: int) -> int:
    """UnavailableCount: 0 unless RollingUpdate; maxUnavailable defaults to 1 (apps/v1)."""
    params = _rolling_update_params(ds)
    return 0 if params is None else scaled_value(params.get("maxUnavailable"), number_to_schedule, 1)


def allows_surge(ds: Mapping[str, Any]) -> bool:
    """AllowsSurge: more than one pod per node may exist during an update."""
    try:
        return surge_count(ds, 1) > 0
    except ValueError:
        return False


def update_budget(ds: Mapping[str, Any], desired_number_scheduled: int) -> tuple[int, int]:
    """updatedDesiredNodeCounts: (maxSurge, maxUnavailable) resolved against desired, rounding
    up; when both come out 0 with desired > 0, fall back to maxUnavailable 1."""
    max_surge = surge_count(ds, desired_number_scheduled)
    max_unavailable = unavailable_count(ds, desired_number_scheduled)
    if desired_number_scheduled > 0 and max_surge == 0 and max_unavailable == 0:
        max_unavailable = 1
    return max_surge, max_unavailable


# --------------------------------------------------------------------------------------------
# Failed-pod back-off (flowcontrol.NewBackOff(1s, 15min), no jitter)
# --------------------------------------------------------------------------------------------


class _FailedPodsBackoff:
    """Per-node back-off state, keyed ``"<observedGeneration>/<node>"`` (upstream's key also has
    the DaemonSet uid; the caller keeps one state dict per DaemonSet). Entries are
    ``{"delay": seconds, "last": RFC3339}``. Entries of other generations are dropped (they can
    never be read again) and so are entries older than 2 × max (upstream's GC)."""

    def __init__(self, state: Mapping[str, Mapping[str, Any]] | None, generation: int, now: datetime):
        self._prefix = f"{generation}/"
        self._now = now
        self._entries = {
            key: dict(entry)
            for key, entry in (state or {}).items()
            if key.startswith(self._prefix) and not self._expired(entry)
        }

    def _expired(self, entry: Mapping[str, Any]) -> bool:
        last = parse_time(entry.get("last")) or _EPOCH
        return (self._now - last).total_seconds() > 2 * FAILED_POD_BACKOFF_MAX_SECONDS

    def remaining(self, node_name: str) -> float | None:
        """IsInBackOffSinceUpdate: seconds left in the window, or None when not in back-off."""
        entry = self._entries.get(self._prefix + node_name)
        if entry is None:
            return None
        elapsed = (self._now - (parse_time(entry.get("last")) or _EPOCH)).total_seconds()
        left = float(entry["delay"]) - elapsed
        return left if left > 0 else None

    def next(self, node_name: str) -> float:
        """Next: start at 1 s, then double up to 15 min; the window starts now."""
        key = self._prefix + node_name
        entry = self._entries.get(key)
        delay = (
            FAILED_POD_BACKOFF_INITIAL_SECONDS
            if entry is None
            else min(float(entry["delay"]) * 2, FAILED_POD_BACKOFF_MAX_SECONDS)
        )
        self._entries[key] = {"delay": delay, "last": format_time(self._now)}
        return delay

    def state(self) -> dict[str, dict[str, Any]]:
        return {key: self._entries[key] for key in sorted(self._entries)}


# --------------------------------------------------------------------------------------------
# Status (updateDaemonSetStatus / storeDaemonSetStatus)
# --------------------------------------------------------------------------------------------


def compute_status(
    ds: Mapping[str, Any],
    nodes: Iterable[Mapping[str, Any]],
    pods: Iterable[Mapping[str, Any]],
    *,
    now: datetime,
    current_hash: str,
    update_observed_generation: bool = True,
    placements: Mapping[str, Placement] | None = None,
    node_to_pods: Mapping[str, list[Mapping[str, Any]]] | None = None,
) -> Obj:
    """updateDaemonSetStatus: counters recomputed from the listed nodes and pods.

    Per existing node: desired if shouldRun; if it also has a daemon pod, current, and the oldest
    pod decides ready / available / updated; a pod on a node that should not run one is
    misscheduled. Other status fields (conditions, collisionCount) are carried over.
    """
    if node_to_pods is None:
        node_to_pods = nodes_to_daemon_pods(pods)
    min_ready = _min_ready_seconds(ds)
    generation = template_generation(ds)
    counts = dict.fromkeys(STATUS_COUNTERS, 0)
    for node in nodes:
        daemon_pods = node_to_pods.get(_name(node), [])
        where = placements[_name(node)] if placements is not None else placement(node, ds)
        if not where.should_run:
            counts["numberMisscheduled"] += bool(daemon_pods)
            continue
        counts["desiredNumberScheduled"] += 1
        if not daemon_pods:
            continue
        counts["currentNumberScheduled"] += 1
        oldest = daemon_pods[0]
        if is_pod_ready(oldest):
            counts["numberReady"] += 1
            counts["numberAvailable"] += is_pod_available(oldest, min_ready, now)
        counts["updatedNumberScheduled"] += is_pod_updated(oldest, current_hash, generation)
    counts["numberUnavailable"] = counts["desiredNumberScheduled"] - counts["numberAvailable"]

    status = dict(ds.get("status") or {})
    status.update(counts)
    if update_observed_generation:
        status["observedGeneration"] = _meta(ds).get("generation", 0)
    return status


def status_differs(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> bool:
    """storeDaemonSetStatus's early return, inverted: a write is needed when a counter changed,
    observedGeneration moved forward, or (our one-write simulator) collisionCount changed."""
    old = old or {}
    if any(int(old.get(k) or 0) != int(new.get(k) or 0) for k in STATUS_COUNTERS):
        return True
    if int(old.get("observedGeneration") or 0) < int(new.get("observedGeneration") or 0):
        return True
    return old.get("collisionCount") != new.get("collisionCount")


# --------------------------------------------------------------------------------------------
# The plan
# --------------------------------------------------------------------------------------------

VERDICTS = ("create", "keep", "delete-extra", "delete", "skip", "wait", "update", "surge")


@dataclass(frozen=True)
class Event:
    type: str
    reason: str
    message: str


@dataclass(frozen=True)
class NodeDecision:
    """What this pass decided for one node, in words a dashboard can show."""

    node: str
    should_run: bool
    should_continue_running: bool
    verdict: str
    reason: str
    message: str


@dataclass(frozen=True)
class DaemonSetPlan:
    hash: str
    create_on: tuple[str, ...]
    delete: tuple[str, ...]
    decisions: tuple[NodeDecision, ...]
    events: tuple[Event, ...]
    backoff: dict[str, dict[str, Any]]
    status: Obj
    requeue_after: float | None
    notes: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.create_on and not self.delete

    def status_changed(self, old_status: Mapping[str, Any] | None) -> bool:
        return status_differs(old_status, self.status)

    def pod_for(self, ds: Mapping[str, Any], node_name: str) -> Obj:
        """The pod to create on ``node_name`` (see new_daemon_pod)."""
        return new_daemon_pod(ds, node_name, self.hash)


@dataclass
class _NodeWork:
    """podsShouldBeOnNode's result for one node, plus the words for it."""

    node: str
    placement: Placement
    create: bool = False
    delete: list[str] = field(default_factory=list)
    verdict: str = "skip"
    clauses: list[str] = field(default_factory=list)

    def decide(self, verdict: str, *clauses: str) -> None:
        self.verdict = verdict
        self.clauses = list(clauses)

    def decision(self) -> NodeDecision:
        text = "; ".join(self.clauses) or self.placement.reason
        return NodeDecision(
            node=self.node,
            should_run=self.placement.should_run,
            should_continue_running=self.placement.should_continue_running,
            verdict=self.verdict,
            reason=self.placement.reason,
            message=f"{self.node}: {text}: {self.verdict}",
        )


@dataclass
class _Sync:
    """Inputs and accumulators of one sync."""

    ds: Mapping[str, Any]
    now: datetime
    hash: str
    generation: int | None
    min_ready: int
    surge: bool
    backoff: _FailedPodsBackoff
    events: list[Event] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def available(self, pod: Mapping[str, Any]) -> bool:
        return is_pod_available(pod, self.min_ready, self.now)

    def updated(self, pod: Mapping[str, Any]) -> bool:
        return is_pod_updated(pod, self.hash, self.generation)

    def pod_words(self, pod: Mapping[str, Any]) -> str:
        return f"pod {_name(pod)} {'is up to date' if self.updated(pod) else 'runs an old template'}"


def plan_daemonset(
    ds: Mapping[str, Any],
    nodes: Iterable[Mapping[str, Any]],
    pods: Iterable[Mapping[str, Any]],
    *,
    now: datetime,
    current_hash: str,
    backoff: Mapping[str, Mapping[str, Any]] | None = None,
    burst_replicas: int = BURST_REPLICAS,
    shared_nodes: bool = False,
) -> DaemonSetPlan:
    """One sync of one DaemonSet, after its history is known (``current_hash`` from
    ``plan_history``; write its ``collision_count`` to ``ds.status.collisionCount`` first, the
    returned status carries it over). ``pods`` are the pods this DaemonSet controls (adoption is
    the caller's). ``backoff`` is the previous plan's ``backoff`` for this DaemonSet.

    manage() decides per node (create / delete failed, succeeded, extra or unwanted pods); the
    update strategy runs only when manage() planned nothing (see the module docstring); the
    status is computed from the pods and nodes as given, as upstream does, and the caller's next
    pass sees the effect of this one. ``shared_nodes``: the nodes are shared read-only views
    (`cluster.reading`), never changed in place, so placements may be remembered across passes.
    """
    nodes = sorted(nodes, key=_name)
    pods = list(pods)
    current_status = dict(ds.get("status") or {})
    observed_generation = int(current_status.get("observedGeneration") or 0)
    sync = _Sync(
        ds=ds,
        now=now,
        hash=current_hash,
        generation=template_generation(ds),
        min_ready=_min_ready_seconds(ds),
        surge=allows_surge(ds),
        backoff=_FailedPodsBackoff(backoff, observed_generation, now),
    )
    placements = _placements(nodes, ds) if shared_nodes else {_name(n): placement(n, ds) for n in nodes}

    if _selects_all(ds):
        event = Event(
            "Warning", SELECTING_ALL_REASON, "This daemon set is selecting all pods. A non-empty selector is required."
        )
        why = "selector {} selects every pod; the controller does nothing"
        return _idle_plan(sync, placements, current_status, why, events=(event,))
    if _meta(ds).get("deletionTimestamp"):
        why = "DaemonSet is being deleted; the controller does nothing"
        return _idle_plan(sync, placements, current_status, why)

    node_to_pods = nodes_to_daemon_pods(pods)
    works = [_pods_should_be_on_node(sync, name, placements[name], node_to_pods.get(name, [])) for name in placements]
    works += _unscheduled_pods_without_node(placements, node_to_pods)

    creates = [w.node for w in works if w.create]
    deletes = [name for w in works for name in w.delete]
    if creates or deletes:
        if _has_old_pods(sync, node_to_pods):
            sync.notes.append(
                "update strategy waits for the next pass: this pass creates or deletes pods "
                "(upstream: expectations not yet satisfied)"
            )
    elif _is_on_delete(ds):
        if _has_old_pods(sync, node_to_pods):
            sync.notes.append("OnDelete: pods with an old template are replaced only when deleted")
    else:
        by_node = {w.node: w for w in works}
        creates, deletes = _rolling_update(sync, placements, node_to_pods, by_node)

    status = compute_status(ds, nodes, pods, now=now, current_hash=current_hash, placements=placements,
                            node_to_pods=node_to_pods)
    if sync.min_ready > 0 and status["numberReady"] != status["numberAvailable"]:
        sync.waits.append(float(sync.min_ready))
    sync.waits += _availability_waits(sync, node_to_pods)
    _note_burst(sync, "creations", creates, burst_replicas)
    _note_burst(sync, "deletions", deletes, burst_replicas)
    return DaemonSetPlan(
        hash=current_hash,
        create_on=tuple(creates[:burst_replicas]),
        delete=tuple(deletes[:burst_replicas]),
        decisions=tuple(w.decision() for w in works),
        events=tuple(sync.events),
        backoff=sync.backoff.state(),
        status=status,
        requeue_after=min(sync.waits) if sync.waits else None,
        notes=tuple(sync.notes),
    )


def _selects_all(ds: Mapping[str, Any]) -> bool:
    """The empty selector {} (upstream compares with reflect.DeepEqual)."""
    selector = (ds.get("spec") or {}).get("selector") or {}
    return not selector.get("matchLabels") and not selector.get("matchExpressions")


def _idle_plan(
    sync: _Sync,
    placements: Mapping[str, Placement],
    current_status: Obj,
    why: str,
    events: tuple[Event, ...] = (),
) -> DaemonSetPlan:
    """A sync that stops early: nothing created or deleted, status left untouched."""
    decisions = tuple(
        NodeDecision(name, p.should_run, p.should_continue_running, "skip", p.reason, f"{name}: {why}: skip")
        for name, p in placements.items()
    )
    return DaemonSetPlan(
        hash=sync.hash,
        create_on=(),
        delete=(),
        decisions=decisions,
        events=events,
        backoff=sync.backoff.state(),
        status=current_status,
        requeue_after=None,
        notes=(why,),
    )


def _note_burst(sync: _Sync, what: str, names: list[str], burst_replicas: int) -> None:
    if len(names) > burst_replicas:
        sync.notes.append(f"burst limit: {burst_replicas} of {len(names)} {what} this pass, the rest next pass")


def _availability_waits(sync: _Sync, node_to_pods: Mapping[str, list[Mapping[str, Any]]]) -> list[float]:
    """When each Ready pod that is not yet available will be (plus 1 s, as upstream): the
    planner's stand-in for updatePod's AddAfter(minReadySeconds + 1s) on a pod turning Ready,
    which is what lets a surge rollout go on once new pods have been ready long enough."""
    if sync.min_ready == 0:
        return []
    waits = []
    for pod in (p for group in node_to_pods.values() for p in group):
        if is_terminating(pod) or not is_pod_ready(pod) or sync.available(pod):
            continue
        since = parse_time((_ready_condition(pod) or {}).get("lastTransitionTime"))
        if since is not None:
            left = (since + timedelta(seconds=sync.min_ready) - sync.now).total_seconds()
            waits.append(max(left, 0.0) + 1.0)
    return waits


def _has_old_pods(sync: _Sync, node_to_pods: Mapping[str, list[Mapping[str, Any]]]) -> bool:
    return any(not sync.updated(p) for group in node_to_pods.values() for p in group)


def _pods_should_be_on_node(
    sync: _Sync, node_name: str, where: Placement, daemon_pods: list[Mapping[str, Any]]
) -> _NodeWork:
    """podsShouldBeOnNode."""
    work = _NodeWork(node_name, where)
    if where.should_run and not daemon_pods:
        work.create = True
        work.decide("create", "no pod, should run")
    elif where.should_continue_running:
        _manage_pods_on_wanted_node(sync, work, daemon_pods)
    elif daemon_pods:
        doomed = [p for p in daemon_pods if not is_terminating(p)]
        work.delete = [_name(p) for p in doomed]
        if doomed:
            work.decide("delete", f"{where.reason}; delete pod {_names(doomed)}")
        else:
            work.decide("skip", f"{where.reason}; pod {_names(daemon_pods)} already terminating")
    else:
        work.decide("skip", where.reason)
    return work


def _manage_pods_on_wanted_node(sync: _Sync, work: _NodeWork, daemon_pods: list[Mapping[str, Any]]) -> None:
    """The shouldContinueRunning branch: delete failed (with back-off) and succeeded pods, then
    prune running pods down to one (or, with surge, one old plus one new)."""
    verdict, clauses, running = "keep", [], []
    ds_ns = _meta(sync.ds).get("namespace", "default")
    for pod in daemon_pods:
        if is_terminating(pod):
            continue
        name = _name(pod)
        if _phase(pod) == "Failed":
            left = sync.backoff.remaining(work.node)
            if left is not None:
                sync.waits.append(left)
                verdict = "wait"
                clauses.append(f"pod {name} failed; back-off {_seconds(left)} before replacing it")
                continue
            delay = sync.backoff.next(work.node)
            sync.events.append(Event(
                "Warning", FAILED_DAEMON_POD_REASON,
                f"Found failed daemon pod {ds_ns}/{name} on node {work.node}, will try to kill it",
            ))
            work.delete.append(name)
            verdict = "delete"
            clauses.append(f"pod {name} failed; delete it, replace it on a later pass (back-off now {_seconds(delay)})")
        elif _phase(pod) == "Succeeded":
            sync.events.append(Event(
                "Normal", SUCCEEDED_DAEMON_POD_REASON,
                f"Found succeeded daemon pod {ds_ns}/{name} on node {work.node}, will try to delete it",
            ))
            work.delete.append(name)
            verdict = "delete"
            clauses.append(f"pod {name} succeeded; delete it")
        else:
            running.append(pod)

    if not sync.surge:
        if len(running) > 1:
            extra = running[1:]
            work.delete += [_name(p) for p in extra]
            verdict = "delete-extra"
            clauses.append(f"{len(running)} pods; keep the oldest {_name(running[0])}, delete {_names(extra)}")
        elif running and verdict == "keep":
            clauses.append(_keep_words(sync, work, running[0]))
    elif not running:
        if work.placement.should_run:
            work.create = True
            verdict = "create"
            clauses.append("no running pod, should run")
    elif len(running) == 1:
        if verdict == "keep":
            clauses.append(_keep_words(sync, work, running[0]))
    else:
        verdict = _prune_surge_pods(sync, work, running, clauses) or verdict

    terminating = [p for p in daemon_pods if is_terminating(p)]
    if not clauses and terminating:
        if work.placement.should_run:
            verdict = "wait"
            clauses.append(f"pod {_names(terminating)} is terminating; create a new one once it is gone")
        else:
            verdict = "skip"
            clauses.append(f"{work.placement.reason}; pod {_names(terminating)} is terminating")
    if not clauses:
        verdict = "skip"
    work.decide(verdict, *clauses)


def _keep_words(sync: _Sync, work: _NodeWork, pod: Mapping[str, Any]) -> str:
    if work.placement.should_run:
        return sync.pod_words(pod)
    return f"{work.placement.reason}; existing pod {_name(pod)} may stay (counted as misscheduled)"


def _prune_surge_pods(
    sync: _Sync, work: _NodeWork, running: list[Mapping[str, Any]], clauses: list[str]
) -> str | None:
    """Surge: keep the oldest pod with the current hash and the oldest with another hash, delete
    the rest; of the two kept, the old one goes when it is not ready or the new one is available.
    (Upstream compares only the hash label here, not the template generation.)"""
    oldest_new = oldest_old = None
    extra = []
    for pod in running:
        if _labels(pod).get(CONTROLLER_REVISION_HASH_LABEL) == sync.hash:
            if oldest_new is None:
                oldest_new = pod
                continue
        elif oldest_old is None:
            oldest_old = pod
            continue
        extra.append(pod)
    verdict = None
    if extra:
        work.delete += [_name(p) for p in extra]
        verdict = "delete-extra"
        clauses.append(f"{len(running)} pods; delete extra {_names(extra)}")
    if oldest_new is None or oldest_old is None:
        return verdict
    new, old = _name(oldest_new), _name(oldest_old)
    if not is_pod_ready(oldest_old):
        work.delete.append(old)
        clauses.append(f"old pod {old} is not ready; delete it, new pod {new} takes over")
        return "update"
    if sync.available(oldest_new):
        work.delete.append(old)
        clauses.append(f"new pod {new} is available; delete old pod {old}")
        return "update"
    clauses.append(f"new pod {new} is not available yet; old pod {old} keeps serving")
    return verdict or "wait"


def _unscheduled_pods_without_node(
    placements: Mapping[str, Placement], node_to_pods: Mapping[str, list[Mapping[str, Any]]]
) -> list[_NodeWork]:
    """getUnscheduledPodsWithoutNode: unbound pods aimed at a node that no longer exists are the
    controller's to delete (the scheduler can never bind them, pod GC only handles bound pods).
    Terminating ones are skipped: there is nothing left to do for them."""
    gone = Placement(False, False, "node no longer exists")
    works = []
    for node_name in sorted(set(node_to_pods) - set(placements)):
        work = _NodeWork(node_name, gone)
        pods = node_to_pods[node_name]
        unbound = [p for p in pods if not (p.get("spec") or {}).get("nodeName") and not is_terminating(p)]
        bound = [p for p in pods if (p.get("spec") or {}).get("nodeName")]
        clauses = [gone.reason]
        if unbound:
            work.delete = [_name(p) for p in unbound]
            clauses.append(f"delete unbound pod {_names(unbound)}")
        if bound:
            clauses.append(f"bound pod {_names(bound)} is left to pod GC")
        work.decide("delete" if unbound else "skip", *clauses)
        works.append(work)
    return works


# --------------------------------------------------------------------------------------------
# rollingUpdate
# --------------------------------------------------------------------------------------------


def _find_updated_pods_on_node(
    sync: _Sync, pods: list[Mapping[str, Any]]
) -> tuple[Mapping[str, Any] | None, Mapping[str, Any] | None] | None:
    """findUpdatedPodsOnNode: (new, old) among non-terminating pods, or None when there are two
    of either kind (manage() prunes those first)."""
    new = old = None
    for pod in pods:
        if is_terminating(pod):
            continue
        if sync.updated(pod):
            if new is not None:
                return None
            new = pod
        else:
            if old is not None:
                return None
            old = pod
    return new, old


def _rolling_update(
    sync: _Sync,
    placements: Mapping[str, Placement],
    node_to_pods: Mapping[str, list[Mapping[str, Any]]],
    works: Mapping[str, _NodeWork],
) -> tuple[list[str], list[str]]:
    """rollingUpdate: returns (nodes to create on, pods to delete).

    Nodes are visited in name order; upstream walks a Go map, so its order is effectively random.
    Every node with pods is visited, plus every desired node without pods.
    """
    desired = [name for name, p in placements.items() if p.should_run]
    try:
        max_surge, max_unavailable = update_budget(sync.ds, len(desired))
    except ValueError as error:
        sync.notes.append(f"rolling update skipped: {error}")
        return [], []
    node_names = sorted(set(node_to_pods) | set(desired))
    rolling = _has_old_pods(sync, node_to_pods)
    if max_surge == 0:
        if rolling:
            sync.notes.append(f"rolling update: maxUnavailable {max_unavailable} of {len(desired)} desired")
        return [], _rolling_update_unavailable(sync, node_names, node_to_pods, works, max_unavailable)
    if rolling:
        sync.notes.append(f"rolling update: maxSurge {max_surge} of {len(desired)} desired")
    return _rolling_update_surge(sync, placements, node_names, node_to_pods, works, max_surge, len(desired))


def _rolling_update_unavailable(
    sync: _Sync,
    node_names: list[str],
    node_to_pods: Mapping[str, list[Mapping[str, Any]]],
    works: Mapping[str, _NodeWork],
    max_unavailable: int,
) -> list[str]:
    """maxSurge = 0: delete old pods while staying within maxUnavailable; old pods that are
    already unavailable are deleted regardless. manage() creates the replacements next pass."""
    num_unavailable = 0
    replacements: list[tuple[str, Mapping[str, Any]]] = []
    candidates: list[tuple[str, Mapping[str, Any]]] = []
    waiting: list[tuple[str, Mapping[str, Any]]] = []
    for node_name in node_names:
        found = _find_updated_pods_on_node(sync, node_to_pods.get(node_name, []))
        if found is None:
            num_unavailable += 1
            continue
        new, old = found
        if (new is None) == (old is None):
            num_unavailable += 1
        elif new is not None:
            num_unavailable += not sync.available(new)
        elif not sync.available(old):
            replacements.append((node_name, old))
            num_unavailable += 1
        elif num_unavailable >= max_unavailable:
            waiting.append((node_name, old))
        else:
            candidates.append((node_name, old))

    room = max(0, min(max_unavailable - num_unavailable, len(candidates)))
    for node_name, old in replacements:
        clause = f"old pod {_name(old)} is not available; replace it regardless of maxUnavailable"
        _decide(works, node_name, "update", clause)
    for node_name, old in candidates[:room]:
        _decide(works, node_name, "update", f"old pod {_name(old)}: delete it now, the new pod comes next pass")
    for node_name, old in candidates[room:] + waiting:
        _decide(works, node_name, "wait", f"old pod {_name(old)} waits: maxUnavailable {max_unavailable} reached")
    return [_name(p) for _, p in replacements + candidates[:room]]


def _rolling_update_surge(
    sync: _Sync,
    placements: Mapping[str, Placement],
    node_names: list[str],
    node_to_pods: Mapping[str, list[Mapping[str, Any]]],
    works: Mapping[str, _NodeWork],
    max_surge: int,
    desired_number_scheduled: int,
) -> tuple[list[str], list[str]]:
    """maxSurge > 0: create a new pod next to each old one, at most maxSurge at a time (old pods
    that are unavailable get theirs at once), and delete old pods once the new one is available.
    Old pods on nodes that should no longer run one go only while enough others are available."""
    old_pods_to_delete: list[str] = []
    should_not_run: list[tuple[str, Mapping[str, Any]]] = []
    allowed_new_nodes: list[str] = []
    candidate_new_nodes: list[str] = []
    waiting: list[str] = []
    num_surge = num_available = 0
    for node_name in node_names:
        found = _find_updated_pods_on_node(sync, node_to_pods.get(node_name, []))
        if found is None:
            num_surge += 1
            continue
        new, old = found
        counted = old if old is not None else new
        num_available += counted is not None and sync.available(counted)
        should_run = node_name in placements and placements[node_name].should_run
        if old is None:
            continue
        if new is None:
            if not sync.available(old):
                if not should_run:
                    old_pods_to_delete.append(_name(old))
                    clause = f"old pod {_name(old)} is not available and the node should not run one; delete it"
                    _decide(works, node_name, "delete", clause)
                    continue
                allowed_new_nodes.append(node_name)
                _decide(works, node_name, "surge", f"old pod {_name(old)} is not available; create the new pod now")
            elif not should_run:
                should_not_run.append((node_name, old))
            elif num_surge >= max_surge:
                waiting.append(node_name)
            else:
                candidate_new_nodes.append(node_name)
        elif not sync.available(new):
            num_surge += 1
        else:
            old_pods_to_delete.append(_name(old))
            _decide(works, node_name, "update", f"new pod {_name(new)} is available; delete old pod {_name(old)}")

    deletable = max(0, min(num_available - desired_number_scheduled, len(should_not_run)))
    for node_name, old in should_not_run[:deletable]:
        old_pods_to_delete.append(_name(old))
        _decide(works, node_name, "delete", f"enough pods are available elsewhere; delete old pod {_name(old)}")
    for node_name, old in should_not_run[deletable:]:
        _decide(works, node_name, "wait", f"old pod {_name(old)} stays until enough new pods are available")

    room = max(0, min(max_surge - num_surge, len(candidate_new_nodes)))
    for node_name in candidate_new_nodes[:room]:
        _decide(works, node_name, "surge", "old pod is available; surge a new pod next to it")
    for node_name in candidate_new_nodes[room:] + waiting:
        _decide(works, node_name, "wait", f"old pod waits for surge room: maxSurge {max_surge} in use")
    return allowed_new_nodes + candidate_new_nodes[:room], old_pods_to_delete


def _decide(works: Mapping[str, _NodeWork], node_name: str, verdict: str, clause: str) -> None:
    work = works.get(node_name)
    if work is not None:
        work.decide(verdict, clause)
