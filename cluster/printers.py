"""Server-side table printing, as kube-apiserver does it for `kubectl get`.

Mirrors Kubernetes 1.32 `pkg/printers/internalversion/printers.go` (column definitions and
row cells), apimachinery `pkg/util/duration` (`HumanDuration`) and the client side of
kubectl (cli-runtime `tableprinter.go` with its tabwriter: min width 6, padding 3).

Objects are plain Kubernetes-shaped dicts. Every function takes the simulated clock as
`now`; nothing here reads the wall clock or does I/O.

A row is printed in two steps: `row_template(obj)` prints every cell that depends only on the
object and leaves the few that read the clock (AGE, RESTARTS' "(5m ago)", a running Job's
DURATION, CronJob LAST SCHEDULE, events' LAST SEEN / FIRST SEEN) as `TimeCell`s, which
`TimeCell.at(now)` finishes. `row_cells(obj, now)` does both; the API server keeps the template
per object version and finishes only the time cells when just the clock has moved.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

from cluster.timeutil import parse_time

NONE = "<none>"
UNKNOWN = "<unknown>"


# --- time -------------------------------------------------------------------------------


def human_duration(d: timedelta) -> str:
    """apimachinery `duration.HumanDuration`: about 2-3 significant figures, truncating."""
    seconds = int(d.total_seconds())  # int() truncates toward zero, like Go's int(d.Seconds())
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        return _compound(minutes, "m", seconds % 60, "s")
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = seconds // 3600
    if hours < 8:
        return _compound(hours, "h", minutes % 60, "m")
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if hours < 24 * 8:
        return _compound(days, "d", hours % 24, "h")
    if hours < 24 * 365 * 2:
        return f"{days}d"
    if hours < 24 * 365 * 8:
        return _compound(days // 365, "y", days % 365, "d")
    return f"{days // 365}y"


def _compound(major: int, major_unit: str, minor: int, minor_unit: str) -> str:
    return f"{major}{major_unit}{minor}{minor_unit}" if minor else f"{major}{major_unit}"


def translate_timestamp_since(ts: str | datetime | None, now: datetime) -> str:
    """The AGE-style cell: `<unknown>` for a missing timestamp, else HumanDuration(now - ts)."""
    return resolve(_since(ts), now)


class TimeCell(NamedTuple):
    """A cell that depends on the clock: `prefix + HumanDuration(now - since) + suffix`.

    Everything else in it is fixed by the object, so it is hashable and equal for equal
    timestamps (a caller finishing many rows can format each distinct one once)."""

    since: datetime
    prefix: str = ""
    suffix: str = ""

    def at(self, now: datetime) -> str:
        return f"{self.prefix}{human_duration(now - self.since)}{self.suffix}"


def resolve(cell: Any, now: datetime) -> Any:
    """A template cell as printed at `now` (a `TimeCell` finished, any other cell as is)."""
    return cell.at(now) if type(cell) is TimeCell else cell


def _since(ts: str | datetime | None) -> TimeCell | str:
    """translate_timestamp_since, left open: `<unknown>` now, or the time cell to finish."""
    if not ts:
        return UNKNOWN
    return TimeCell(parse_time(ts))


# --- column definitions -----------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One `meta.k8s.io/v1` TableColumnDefinition."""

    name: str
    type: str = "string"
    format: str = ""
    description: str = ""
    priority: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _wide(name: str, description: str) -> Column:
    return Column(name, description=description, priority=1)


def _integer(name: str, description: str) -> Column:
    return Column(name, type="integer", description=description)


_NAME = Column(
    "Name",
    format="name",
    description=(
        "Name must be unique within a namespace. Is required when creating resources, although "
        "some resources may allow a client to request the generation of an appropriate name "
        "automatically. Name is primarily intended for creation idempotence and configuration "
        "definition. Cannot be updated. More info: "
        "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
    ),
)
_AGE = Column(
    "Age",
    description=(
        "CreationTimestamp is a timestamp representing the server time when this object was "
        "created. It is not guaranteed to be set in happens-before order across separate "
        "operations. Clients may not set this value. It is represented in RFC3339 form and is "
        "in UTC."
    ),
)
_CONTAINERS = _wide("Containers", "Names of each container in the template.")
_IMAGES = _wide("Images", "Images referenced by each container in the template.")

COLUMNS: dict[str, list[Column]] = {
    "Pod": [
        _NAME,
        Column("Ready", description="The aggregate readiness state of this pod for accepting traffic."),
        Column("Status", description="The aggregate status of the containers in this pod."),
        Column(
            "Restarts",
            description=(
                "The number of times the containers in this pod have been restarted and when "
                "the last container in this pod has restarted."
            ),
        ),
        _AGE,
        _wide("IP", "podIP address allocated to the pod. Routable at least within the cluster."),
        _wide("Node", "NodeName indicates in which node this pod is scheduled."),
        _wide(
            "Nominated Node",
            "nominatedNodeName is set only when this pod preempts other pods on the node, but it "
            "cannot be scheduled right away as preemption victims receive their graceful "
            "termination periods.",
        ),
        _wide(
            "Readiness Gates",
            "If specified, all readiness gates will be evaluated for pod readiness.",
        ),
    ],
    "Node": [
        _NAME,
        Column("Status", description="The status of the node"),
        Column("Roles", description="The roles of the node"),
        _AGE,
        Column("Version", description="Kubelet Version reported by the node."),
        _wide("Internal-IP", "List of addresses reachable to the node."),
        _wide("External-IP", "List of addresses reachable to the node."),
        _wide("OS-Image", "OS Image reported by the node from /etc/os-release."),
        _wide("Kernel-Version", "Kernel Version reported by the node from 'uname -r'."),
        _wide(
            "Container-Runtime",
            "ContainerRuntime Version reported by the node through runtime remote API.",
        ),
    ],
    "DaemonSet": [
        _NAME,
        _integer(
            "Desired",
            "The total number of nodes that should be running the daemon pod (including nodes "
            "correctly running the daemon pod).",
        ),
        _integer(
            "Current",
            "The number of nodes that are running at least 1 daemon pod and are supposed to run "
            "the daemon pod.",
        ),
        _integer(
            "Ready",
            "numberReady is the number of nodes that should be running the daemon pod and have "
            "one or more of the daemon pod running with a Ready Condition.",
        ),
        _integer("Up-to-date", "The total number of nodes that are running updated daemon pod"),
        _integer(
            "Available",
            "The number of nodes that should be running the daemon pod and have one or more of "
            "the daemon pod running and available (ready for at least spec.minReadySeconds)",
        ),
        Column(
            "Node Selector",
            description=(
                "NodeSelector is a selector which must be true for the pod to fit on a node. "
                "Selector which must match a node's labels for the pod to be scheduled on that node."
            ),
        ),
        _AGE,
        _CONTAINERS,
        _IMAGES,
        _wide(
            "Selector",
            "A label query over pods that are managed by the daemon set. Must match in order to "
            "be controlled. It must match the pod template's labels.",
        ),
    ],
    "Job": [
        _NAME,
        Column("Status", description="Status of the job."),
        Column("Completions", description="The number of pods which reached phase Succeeded."),
        Column("Duration", description="Time required to complete the job."),
        _AGE,
        _CONTAINERS,
        _IMAGES,
        _wide("Selector", "A label query over pods that should match the pod count."),
    ],
    "CronJob": [
        _NAME,
        Column("Schedule", description="The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron."),
        Column("Timezone", description="The time zone name for the given schedule."),
        Column(
            "Suspend",
            type="boolean",
            description=(
                "This flag tells the controller to suspend subsequent executions, it does not "
                "apply to already started executions. Defaults to false."
            ),
        ),
        _integer("Active", "A list of pointers to currently running jobs."),
        Column(
            "Last Schedule",
            description="Information when was the last time the job was successfully scheduled.",
        ),
        _AGE,
        _CONTAINERS,
        _IMAGES,
        _wide("Selector", "A label query over pods that should match the pod count."),
    ],
    "Event": [
        Column(
            "Last Seen",
            description="The time at which the most recent occurrence of this event was recorded.",
        ),
        Column("Type", description="Type of this event (Normal, Warning), new types could be added in the future"),
        Column(
            "Reason",
            description=(
                "This should be a short, machine understandable string that gives the reason for "
                "the transition into the object's current status."
            ),
        ),
        Column("Object", description="The object that this event is about."),
        _wide(
            "Subobject",
            "If referring to a piece of an object instead of an entire object, this string "
            "should contain a valid JSON/Go field access statement.",
        ),
        _wide("Source", "The component reporting this event."),
        Column("Message", description="A human-readable description of the status of this operation."),
        _wide("First Seen", "The time at which the event was first recorded."),
        _wide("Count", "The number of times this event has occurred."),
        Column("Name", format="name", description=_NAME.description, priority=1),
    ],
    "Namespace": [
        _NAME,
        Column("Status", description="The status of the namespace"),
        _AGE,
    ],
    "ControllerRevision": [
        _NAME,
        Column("Controller", description="Controller of the object"),
        Column("Revision", description="Revision indicates the revision of the state represented by Data."),
        _AGE,
    ],
}

# API group of each printable kind, for kubectl's "kind.group/name" (empty for the core group).
_KIND_GROUP = {"DaemonSet": "apps", "ControllerRevision": "apps", "Job": "batch", "CronJob": "batch"}


# --- small helpers ------------------------------------------------------------------------


def _get(obj: dict | None, *path: str, default: Any = None) -> Any:
    """Nested lookup that treats a missing key and an explicit null alike."""
    for key in path:
        if not isinstance(obj, dict) or obj.get(key) is None:
            return default
        obj = obj[key]
    return obj


def _format_labels(labels: dict[str, str] | None) -> str:
    """labels.FormatLabels: "k=v,k2=v2" sorted by key, `<none>` when empty."""
    return ",".join(f"{k}={v}" for k, v in sorted((labels or {}).items())) or NONE


def format_label_selector(selector: dict | None) -> str:
    """metav1.FormatLabelSelector: requirements sorted by key, values sorted; `<none>` if empty."""
    if selector is None:
        return NONE
    requirements = [(k, f"{k}={v}") for k, v in (selector.get("matchLabels") or {}).items()]
    for expr in selector.get("matchExpressions") or []:
        text = _requirement(expr)
        if text is None:
            return "<error>"
        requirements.append((expr.get("key", ""), text))
    requirements.sort(key=lambda kv: kv[0])
    return ",".join(text for _, text in requirements) or NONE


def _requirement(expr: dict) -> str | None:
    key, op = expr.get("key", ""), expr.get("operator")
    values = ",".join(sorted(expr.get("values") or []))
    return {
        "In": f"{key} in ({values})",
        "NotIn": f"{key} notin ({values})",
        "Exists": key,
        "DoesNotExist": f"!{key}",
    }.get(op)


def _container_cells(pod_spec: dict | None) -> list[str]:
    """layoutContainerCells: comma-joined container names and images."""
    containers = _get(pod_spec, "containers", default=[])
    return [
        ",".join(c.get("name", "") for c in containers),
        ",".join(c.get("image", "") for c in containers),
    ]


def _condition_status(conditions: Iterable[dict], type_: str) -> str | None:
    """Status of the first condition of the given type (None when absent)."""
    return next((c.get("status") for c in conditions if c.get("type") == type_), None)


def _age(obj: dict) -> TimeCell | str:
    return _since(_get(obj, "metadata", "creationTimestamp"))


def _name(obj: dict) -> str:
    return _get(obj, "metadata", "name", default="")


# --- Pod ----------------------------------------------------------------------------------


class _Restarts:
    """Running total of restartCount and the latest lastState.terminated.finishedAt."""

    def __init__(self) -> None:
        self.count = 0
        self.last: datetime | None = None

    def add(self, container_status: dict) -> None:
        self.count += container_status.get("restartCount") or 0
        finished = _get(container_status, "lastState", "terminated", "finishedAt")
        if finished:
            finished_at = parse_time(finished)
            if self.last is None or finished_at > self.last:
                self.last = finished_at

    def cell(self) -> TimeCell | str:
        if self.count and self.last is not None:
            return TimeCell(self.last, f"{self.count} (", " ago)")
        return str(self.count)


def _terminated_reason(terminated: dict) -> str:
    if terminated.get("reason"):
        return terminated["reason"]
    if terminated.get("signal"):
        return f"Signal:{terminated['signal']}"
    return f"ExitCode:{terminated.get('exitCode', 0)}"


def _pod_cells(pod: dict) -> list:
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    conditions = status.get("conditions") or []
    phase = status.get("phase", "")
    reason = status.get("reason") or phase
    if any(c.get("type") == "PodScheduled" and c.get("reason") == "SchedulingGated" for c in conditions):
        reason = "SchedulingGated"

    init_specs = spec.get("initContainers") or []
    sidecars = {c.get("name") for c in init_specs if c.get("restartPolicy") == "Always"}
    total = len(spec.get("containers") or []) + len(sidecars)
    ready = 0
    restarts, sidecar_restarts = _Restarts(), _Restarts()

    # Init containers: the first one that has neither succeeded nor started as a sidecar
    # decides the status (Init:x/y, Init:<reason>).
    initializing = False
    for index, cs in enumerate(status.get("initContainerStatuses") or []):
        restarts.add(cs)
        is_sidecar = cs.get("name") in sidecars
        if is_sidecar:
            sidecar_restarts.add(cs)
        terminated, waiting_reason = _get(cs, "state", "terminated"), _get(cs, "state", "waiting", "reason")
        if terminated is not None and terminated.get("exitCode", 0) == 0:
            continue
        if is_sidecar and cs.get("started"):
            if cs.get("ready"):
                ready += 1
            continue
        initializing = True
        if terminated is not None:
            reason = "Init:" + _terminated_reason(terminated)
        elif waiting_reason and waiting_reason != "PodInitializing":
            reason = "Init:" + waiting_reason
        else:
            reason = f"Init:{index}/{len(init_specs)}"
        break

    if not initializing or _condition_status(conditions, "Initialized") == "True":
        restarts = sidecar_restarts
        has_running = False
        for cs in reversed(status.get("containerStatuses") or []):
            restarts.add(cs)
            state = cs.get("state") or {}
            waiting_reason = _get(state, "waiting", "reason")
            if waiting_reason:
                reason = waiting_reason
            elif state.get("terminated") is not None:
                reason = _terminated_reason(state["terminated"])
            elif cs.get("ready") and state.get("running") is not None:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if _condition_status(conditions, "Ready") == "True" else "NotReady"

    # Since Kubernetes 1.31 (kubernetes#122038) a terminal pod keeps its Completed/Error status
    # while it is being deleted; only non-terminal pods show Terminating.
    if _get(pod, "metadata", "deletionTimestamp"):
        if status.get("reason") == "NodeLost":
            reason = "Unknown"
        elif phase not in ("Succeeded", "Failed"):
            reason = "Terminating"

    return [
        _name(pod),
        f"{ready}/{total}",
        reason,
        restarts.cell(),
        _age(pod),
        _pod_ip(status) or NONE,
        spec.get("nodeName") or NONE,
        status.get("nominatedNodeName") or NONE,
        _readiness_gates(spec, conditions),
    ]


def _pod_ip(status: dict) -> str:
    pod_ips = status.get("podIPs") or []
    return pod_ips[0].get("ip", "") if pod_ips else status.get("podIP", "")


def _readiness_gates(spec: dict, conditions: list[dict]) -> str:
    gates = spec.get("readinessGates") or []
    if not gates:
        return NONE
    true_count = sum(_condition_status(conditions, g.get("conditionType")) == "True" for g in gates)
    return f"{true_count}/{len(gates)}"


# --- Node ---------------------------------------------------------------------------------


def _node_cells(node: dict) -> list:
    status = node.get("status") or {}
    info = status.get("nodeInfo") or {}
    return [
        _name(node),
        _node_status(node),
        ",".join(_node_roles(_get(node, "metadata", "labels", default={}))) or NONE,
        _age(node),
        info.get("kubeletVersion", ""),
        _node_address(status, "InternalIP"),
        _node_address(status, "ExternalIP"),
        info.get("osImage") or UNKNOWN,
        info.get("kernelVersion") or UNKNOWN,
        info.get("containerRuntimeVersion") or UNKNOWN,
    ]


def _node_status(node: dict) -> str:
    by_type = {c.get("type"): c for c in _get(node, "status", "conditions", default=[])}
    ready = by_type.get("Ready")
    if ready is None:
        states = ["Unknown"]
    else:
        states = ["Ready" if ready.get("status") == "True" else "NotReady"]
    if _get(node, "spec", "unschedulable"):
        states.append("SchedulingDisabled")
    return ",".join(states)


def _node_roles(labels: dict[str, str]) -> list[str]:
    """Roles from `node-role.kubernetes.io/<role>` keys and `kubernetes.io/role=<role>` values."""
    prefix = "node-role.kubernetes.io/"
    roles = {key[len(prefix):] for key in labels if key.startswith(prefix) and len(key) > len(prefix)}
    if labels.get("kubernetes.io/role"):
        roles.add(labels["kubernetes.io/role"])
    return sorted(roles)


def _node_address(status: dict, address_type: str) -> str:
    return next(
        (a.get("address", "") for a in status.get("addresses") or [] if a.get("type") == address_type),
        NONE,
    )


# --- workloads ----------------------------------------------------------------------------


def _daemonset_cells(ds: dict) -> list:
    status = ds.get("status") or {}
    template_spec = _get(ds, "spec", "template", "spec", default={})
    counters = ["desiredNumberScheduled", "currentNumberScheduled", "numberReady",
                "updatedNumberScheduled", "numberAvailable"]
    return [
        _name(ds),
        *(int(status.get(field) or 0) for field in counters),
        _format_labels(template_spec.get("nodeSelector")),
        _age(ds),
        *_container_cells(template_spec),
        format_label_selector(_get(ds, "spec", "selector")),
    ]


def _job_cells(job: dict) -> list:
    spec = job.get("spec") or {}
    return [
        _name(job),
        _job_status(job),
        _job_completions(job),
        _job_duration(job.get("status") or {}),
        _age(job),
        *_container_cells(_get(spec, "template", "spec")),
        format_label_selector(spec.get("selector")),
    ]


def _job_status(job: dict) -> str:
    conditions = _get(job, "status", "conditions", default=[])

    def is_true(type_: str) -> bool:
        return _condition_status(conditions, type_) == "True"

    if is_true("Complete"):
        return "Complete"
    if is_true("Failed"):
        return "Failed"
    if _get(job, "metadata", "deletionTimestamp"):
        return "Terminating"
    if is_true("Suspended"):
        return "Suspended"
    if is_true("FailureTarget"):
        return "FailureTarget"
    return "Running"


def _job_completions(job: dict) -> str:
    succeeded = _get(job, "status", "succeeded", default=0)
    completions = _get(job, "spec", "completions")
    if completions is not None:
        return f"{succeeded}/{completions}"
    parallelism = _get(job, "spec", "parallelism", default=0)
    return f"{succeeded}/1 of {parallelism}" if parallelism > 1 else f"{succeeded}/1"


def _job_duration(status: dict) -> TimeCell | str:
    start = status.get("startTime")
    if not start:
        return ""
    if status.get("completionTime"):
        return human_duration(parse_time(status["completionTime"]) - parse_time(start))
    return TimeCell(parse_time(start))  # still running: until now


def _cronjob_cells(cj: dict) -> list:
    spec, status = cj.get("spec") or {}, cj.get("status") or {}
    job_spec = _get(spec, "jobTemplate", "spec", default={})
    last_schedule = status.get("lastScheduleTime")
    return [
        _name(cj),
        spec.get("schedule", ""),
        spec.get("timeZone") or NONE,
        # The API server defaults spec.suspend to false, so upstream's "<unset>" never shows.
        "True" if spec.get("suspend") else "False",
        len(status.get("active") or []),
        _since(last_schedule) if last_schedule else NONE,
        _age(cj),
        *_container_cells(_get(job_spec, "template", "spec")),
        format_label_selector(job_spec.get("selector")),
    ]


# --- Event, Namespace, ControllerRevision --------------------------------------------------


def _event_cells(event: dict) -> list:
    """Upstream 1.32 server-side printer: no "(x3 over 5m)" suffix (that is `kubectl events`)."""
    first_ts = event.get("firstTimestamp") or event.get("eventTime")
    first_seen = _since(first_ts)
    last_seen = _since(event["lastTimestamp"]) if event.get("lastTimestamp") else first_seen
    count = event.get("count") or 0
    series = event.get("series")
    if series:
        last_seen = _since(series.get("lastObservedTime"))
        count = series.get("count") or 0
    elif count == 0:
        count = 1  # singleton events from the events.k8s.io API carry no count
    involved = event.get("involvedObject") or {}
    kind = involved.get("kind", "").lower()
    target = f"{kind}/{involved['name']}" if involved.get("name") else kind
    return [
        last_seen,
        event.get("type", ""),
        event.get("reason", ""),
        target,
        involved.get("fieldPath", ""),
        _event_source(event),
        (event.get("message") or "").strip(),
        first_seen,
        count,
        _name(event),
    ]


def _event_source(event: dict) -> str:
    """ "component, host", falling back to reportingController / reportingInstance."""
    component = _get(event, "source", "component") or event.get("reportingController", "")
    host = _get(event, "source", "host") or event.get("reportingInstance", "")
    return f"{component}, {host}" if host else component


def _namespace_cells(ns: dict) -> list:
    # The API server sets status.phase=Active on create; default it for objects stored without it.
    return [_name(ns), _get(ns, "status", "phase", default="Active"), _age(ns)]


def _controller_revision_cells(cr: dict) -> list:
    owners = _get(cr, "metadata", "ownerReferences", default=[])
    controller = next((o for o in owners if o.get("controller")), None)
    return [_name(cr), _resource_name_with_kind(controller), cr.get("revision", 0), _age(cr)]


def _resource_name_with_kind(owner: dict | None) -> str:
    """"kind.group/name" of an owner reference (e.g. "daemonset.apps/fluentd"), or `<none>`."""
    if owner is None:
        return NONE
    api_version = owner.get("apiVersion", "")
    group = api_version.split("/")[0] if "/" in api_version else ""
    return f"{_group_kind(owner.get('kind', ''), group)}/{owner.get('name', '')}"


def _group_kind(kind: str, group: str) -> str:
    return f"{kind}.{group}".lower() if group else kind.lower()


_ROW_PRINTERS: dict[str, Callable[[dict], list]] = {
    "Pod": _pod_cells,
    "Node": _node_cells,
    "DaemonSet": _daemonset_cells,
    "Job": _job_cells,
    "CronJob": _cronjob_cells,
    "Event": _event_cells,
    "Namespace": _namespace_cells,
    "ControllerRevision": _controller_revision_cells,
}


def row_template(obj: dict) -> list:
    """The object's Table row with the cells that read the clock left as `TimeCell`s: all that
    depends on the object alone, the same for every `now` (see `row_cells`)."""
    return _ROW_PRINTERS[obj["kind"]](obj)


def row_cells(obj: dict, now: datetime) -> list:
    """All cells of the object's Table row, wide ones included, in COLUMNS[kind] order."""
    return [cell.at(now) if type(cell) is TimeCell else cell for cell in row_template(obj)]


# --- meta.k8s.io/v1 Table -------------------------------------------------------------------


def api_table(objs: Sequence[dict], now: datetime, *, include_object: str = "Metadata") -> dict:
    """The Table kube-apiserver returns for `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`.

    `objs` must all be of one kind (and non-empty, since the kind picks the columns). The caller
    sets `metadata.resourceVersion`. `include_object` is the `includeObject` query parameter:
    "Metadata" (default), "Object" or "None".
    """
    kind = objs[0]["kind"]
    rows = []
    for obj in objs:
        row: dict[str, Any] = {"cells": row_cells(obj, now)}
        if include_object == "Metadata":
            row["object"] = {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": obj.get("metadata", {}),
            }
        elif include_object == "Object":
            row["object"] = obj
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {},
        "columnDefinitions": [column.as_dict() for column in COLUMNS[kind]],
        "rows": rows,
    }


# --- kubectl's human-readable output ----------------------------------------------------------


def format_table(
    objs: Sequence[dict],
    now: datetime,
    *,
    wide: bool = False,
    show_namespace: bool = False,
    show_labels: bool = False,
    label_columns: Sequence[str] = (),
    no_headers: bool = False,
    show_kind: bool = False,
) -> str:
    """The text `kubectl get` prints for a list of same-kind objects; "" when there are none."""
    if not objs:
        return ""
    kind = objs[0]["kind"]
    shown = [i for i, column in enumerate(COLUMNS[kind]) if wide or column.priority == 0]
    name_index = next((i for i, column in enumerate(COLUMNS[kind]) if column.format == "name"), None)
    kind_prefix = _group_kind(kind, _KIND_GROUP.get(kind, "")) + "/" if show_kind else ""

    headers = [COLUMNS[kind][i].name.upper() for i in shown]
    headers += [key.split("/")[-1].upper() for key in label_columns]
    if show_namespace:
        headers.insert(0, "NAMESPACE")
    if show_labels:
        headers.append("LABELS")

    rows = []
    for obj in objs:
        cells = row_cells(obj, now)
        if name_index is not None:
            cells[name_index] = kind_prefix + cells[name_index]
        labels = _get(obj, "metadata", "labels", default={})
        row = [_cell_text(cells[i]) for i in shown]
        row += [labels.get(key, "") for key in label_columns]
        if show_namespace:
            row.insert(0, _get(obj, "metadata", "namespace", default=""))
        if show_labels:
            row.append(_format_labels(labels))
        rows.append(row)
    return table_lines(None if no_headers else headers, rows)


def _cell_text(cell: Any) -> str:
    """How kubectl writes a cell: strings cut at the first line break (plus "..."), bools as Go."""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if not isinstance(cell, str):
        return str(cell)
    cut = min((i for i in (cell.find(ch) for ch in "\f\n\r") if i >= 0), default=-1)
    text = cell if cut < 0 else cell[:cut] + "..."
    return text.replace("\x1b", "^[")


def table_lines(
    headers: Sequence[str] | None,
    rows: Sequence[Sequence[Any]],
    *,
    min_width: int = 6,
    padding: int = 3,
) -> str:
    """Align columns like Go's text/tabwriter as kubectl configures it (min width 6, padding 3).

    Every column but the last is padded to max(min_width, widest cell + padding); the last cell
    of a line is written as is (so an empty last cell leaves the previous column's padding, as
    in kubectl). Lines end with "\\n". Pass `headers=None` to print rows only.
    """
    lines = [list(map(str, row)) for row in ([headers] if headers else []) + list(rows)]
    if not lines:
        return ""
    widths = [
        max(min_width, max(len(line[i]) for line in lines if i < len(line) - 1) + padding)
        for i in range(max(len(line) for line in lines) - 1)
    ]
    return "".join(
        "".join(cell.ljust(widths[i]) for i, cell in enumerate(line[:-1])) + line[-1] + "\n"
        for line in lines
    )
