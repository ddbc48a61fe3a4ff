"""`kubectl describe`: the layout of kubectl 1.32's describers for our kinds, Events included."""
from __future__ import annotations

from datetime import datetime

from cluster import printers
from cluster.patching import LAST_APPLIED
from cluster.models import Cluster, Event, Pod
from cluster.timeutil import parse_time


def _map_rows(title: str, values: dict | None, sep: str = "=", skip: tuple = ()) -> list[tuple[str, str]]:
    """A map as describe rows: `Title:  k=v`, then one row per further entry with no label."""
    items = sorted((k, v) for k, v in (values or {}).items() if k not in skip)
    if not items:
        return [(title, "<none>")]
    return [(title if i == 0 else "", f"{k}{sep}{v}") for i, (k, v) in enumerate(items)]


def _row(label: str, value, width: int) -> str:
    return f"{label + ':' if label else '':<{width}}{value}"


def _block(rows: list[tuple[str, object]]) -> list[str]:
    """`Label:  value` lines aligned as kubectl's tab writer aligns one block of them (the widest
    label plus 2); a row with an empty label continues the one before (a map's next entries)."""
    width = max(len(label) + 1 for label, _ in rows if label) + 2
    return [_row(label, value, width) for label, value in rows]


def _lines_of_map(title: str, values: dict | None, width: int = 14) -> list[str]:
    return [_row(label, value, width) for label, value in _map_rows(title, values)]


def _field(title: str, value, width: int = 14) -> str:
    return _row(title, value, width)


def _time(ts: str | None) -> str:
    if not ts:
        return "<unset>"
    return parse_time(ts).strftime("%a, %d %b %Y %H:%M:%S +0000")


def _events(cluster: Cluster, obj: dict, now: datetime) -> list[str]:
    events = [
        e.to_dict()
        for e in Event.objects.filter(cluster=cluster, involved_uid=obj["metadata"]["uid"]).order_by(
            "last_timestamp", "resource_version"
        )
    ]
    if not events:
        return ["Events:            <none>"]
    rows = []
    for e in events:
        last = e.get("lastTimestamp") or e.get("firstTimestamp")
        age = printers.translate_timestamp_since(last, now)
        count = int(e.get("count") or 1)
        if count > 1:
            age = f"{age} (x{count} over {printers.translate_timestamp_since(e.get('firstTimestamp'), now)})"
        source = (e.get("source") or {}).get("component", "")
        rows.append([e.get("type", ""), e.get("reason", ""), age, source, e.get("message", "")])
    table = printers.table_lines(
        ["Type", "Reason", "Age", "From", "Message"],
        [["----", "------", "----", "----", "-------"], *rows],
        min_width=0,
        padding=2,
    )
    return ["Events:"] + ["  " + line for line in table.rstrip("\n").split("\n")]


def _header(obj: dict, width: int = 14) -> list[str]:
    meta = obj["metadata"]
    lines = [_field("Name", meta["name"], width)]
    if meta.get("namespace"):
        lines.append(_field("Namespace", meta["namespace"], width))
    return lines


def _containers(spec: dict, statuses: list | None = None, indent: str = "  ") -> list[str]:
    out = ["Containers:" if indent == "  " else f"{indent[:-2]}Containers:"]
    by_name = {s.get("name"): s for s in statuses or []}
    for c in spec.get("containers") or []:
        out.append(f"{indent}{c['name']}:")
        out.append(f"{indent}  Image:      {c.get('image', '')}")
        ports = c.get("ports") or []
        port_text = ", ".join(f"{p.get('containerPort')}/{p.get('protocol', 'TCP')}" for p in ports) or "<none>"
        out.append(f"{indent}  Port:       {port_text}")
        if c.get("command"):
            out.append(f"{indent}  Command:")
            out += [f"{indent}    {part}" for part in c["command"]]
        if c.get("args"):
            out.append(f"{indent}  Args:")
            out += [f"{indent}    {part}" for part in c["args"]]
        status = by_name.get(c["name"])
        if status:
            state = status.get("state") or {}
            name = next(iter(state), "waiting")
            detail = state.get(name) or {}
            out.append(f"{indent}  State:          {name.capitalize()}")
            if detail.get("reason"):
                out.append(f"{indent}    Reason:       {detail['reason']}")
            if "exitCode" in detail:
                out.append(f"{indent}    Exit Code:    {detail['exitCode']}")
            if detail.get("startedAt"):
                out.append(f"{indent}    Started:      {_time(detail['startedAt'])}")
            if detail.get("finishedAt"):
                out.append(f"{indent}    Finished:     {_time(detail['finishedAt'])}")
            out.append(f"{indent}  Ready:          {'True' if status.get('ready') else 'False'}")
            out.append(f"{indent}  Restart Count:  {status.get('restartCount', 0)}")
        out.append(f"{indent}  Environment:  <none>")
        out.append(f"{indent}  Mounts:       <none>")
    return out


def _controller_rows(meta: dict) -> list[tuple[str, str]]:
    """`Controlled By:  Kind/name`, when an owner is the controller."""
    return [("Controlled By", f"{r['kind']}/{r['name']}") for r in meta.get("ownerReferences") or []
            if r.get("controller")][:1]


def _controlled_by(meta: dict) -> list[str]:
    return [_field(label, value) for label, value in _controller_rows(meta)]


def describe_pod(cluster: Cluster, pod: dict, now: datetime) -> list[str]:
    """kubectl 1.32's pod describer: the header is one aligned block up to `IPs:`."""
    meta, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
    rows: list[tuple[str, object]] = [("Name", meta["name"]), ("Namespace", meta.get("namespace", ""))]
    if spec.get("priority") is not None:
        rows.append(("Priority", spec["priority"]))
    if spec.get("serviceAccountName"):
        rows.append(("Service Account", spec["serviceAccountName"]))
    node = spec.get("nodeName")
    rows.append(("Node", f"{node}/{status['hostIP']}" if node and status.get("hostIP") else node or "<none>"))
    if status.get("startTime"):
        rows.append(("Start Time", _time(status.get("startTime"))))
    rows += _map_rows("Labels", meta.get("labels"))
    rows += _map_rows("Annotations", meta.get("annotations"), ": ", (LAST_APPLIED,))
    phase = status.get("phase", "Pending")
    if meta.get("deletionTimestamp"):
        rows.append(("Status", f"Terminating (lasts {printers.translate_timestamp_since(meta['deletionTimestamp'], now)})"))
        rows.append(("Termination Grace Period", f"{meta.get('deletionGracePeriodSeconds', 30)}s"))
    else:
        rows.append(("Status", phase))
    if status.get("reason"):
        rows.append(("Reason", status["reason"]))
    if status.get("message"):
        rows.append(("Message", status["message"]))
    rows.append(("IP", status.get("podIP", "")))
    ips = [i.get("ip", "") for i in status.get("podIPs") or []]
    controlled = _controller_rows(meta)
    if not ips:
        lines = _block(rows + [("IPs", "<none>")] + controlled)
    else:
        lines = _block(rows) + ["IPs:"] + _block([("  IP", ip) for ip in ips] + controlled)
    lines += _containers(spec, status.get("containerStatuses"))
    conditions = status.get("conditions") or []
    if conditions:
        lines.append("Conditions:")
        lines.append("  Type              Status")
        lines += [f"  {c['type']:<18}{c['status']}" for c in conditions]
    lines += _lines_of_map("Node-Selectors", spec.get("nodeSelector"), 16)
    tolerations = [_toleration(t) for t in spec.get("tolerations") or []]
    lines.append(_field("Tolerations", tolerations[0] if tolerations else "<none>", 16))
    lines += [" " * 16 + t for t in tolerations[1:]]
    return lines + _events(cluster, pod, now)


def _toleration(t: dict) -> str:
    text = t.get("key", "")
    if t.get("operator") == "Equal" or t.get("value"):
        text += f"={t.get('value', '')}"
    if t.get("effect"):
        text += f":{t['effect']}"
    if t.get("operator") == "Exists" and not t.get("value"):
        text += " op=Exists"
    if t.get("tolerationSeconds") is not None:
        text += f" for {t['tolerationSeconds']}s"
    return text


def describe_node(cluster: Cluster, node: dict, now: datetime) -> list[str]:
    meta, spec, status = node["metadata"], node.get("spec") or {}, node.get("status") or {}
    roles = printers.row_cells(node, now)[2]
    lines = [_field("Name", meta["name"], 19), _field("Roles", roles, 19)]
    lines += _lines_of_map("Labels", meta.get("labels"), 19)
    lines += _lines_of_map("Annotations", meta.get("annotations"), 19)
    lines.append(_field("CreationTimestamp", _time(meta.get("creationTimestamp")), 19))
    taints = [f"{t['key']}{'=' + t['value'] if t.get('value') else ''}:{t['effect']}" for t in spec.get("taints") or []]
    lines.append(_field("Taints", taints[0] if taints else "<none>", 19))
    lines += [" " * 19 + t for t in taints[1:]]
    lines.append(_field("Unschedulable", "true" if spec.get("unschedulable") else "false", 19))
    lines.append("Conditions:")
    lines.append("  Type    Status  LastHeartbeatTime  LastTransitionTime  Reason  Message")
    lines.append("  ----    ------  -----------------  ------------------  ------  -------")
    for c in status.get("conditions") or []:
        lines.append(
            f"  {c['type']}  {c['status']}  {_time(c.get('lastHeartbeatTime'))}  "
            f"{_time(c.get('lastTransitionTime'))}  {c.get('reason', '')}  {c.get('message', '')}"
        )
    lines.append("Capacity:")
    lines += [f"  {k}:  {v}" for k, v in sorted((status.get("capacity") or {}).items())]
    lines.append("Allocatable:")
    lines += [f"  {k}:  {v}" for k, v in sorted((status.get("allocatable") or {}).items())]
    pods = Pod.objects.filter(cluster=cluster, node_name=meta["name"]).exclude(phase__in=["Succeeded", "Failed"])
    rows = [[p.namespace, p.name, printers.translate_timestamp_since(p.metadata.get("creationTimestamp"), now)] for p in pods.order_by("namespace", "name")]
    lines.append(f"Non-terminated Pods:          ({len(rows)} in total)")
    table = printers.table_lines(
        ["Namespace", "Name", "Age"], [["---------", "----", "---"], *rows], min_width=0, padding=2
    )
    lines += ["  " + line for line in table.rstrip("\n").split("\n")]
    return lines + _events(cluster, node, now)


def describe_daemonset(cluster: Cluster, ds: dict, now: datetime) -> list[str]:
    meta, spec, status = ds["metadata"], ds.get("spec") or {}, ds.get("status") or {}
    template = spec.get("template") or {}
    width = 16
    lines = _header(ds, width)
    lines.append(_field("Selector", printers.format_label_selector(spec.get("selector")), width))
    node_selector = ",".join(f"{k}={v}" for k, v in sorted((template.get("spec", {}).get("nodeSelector") or {}).items()))
    lines.append(_field("Node-Selector", node_selector or "<none>", width))
    lines += _lines_of_map("Labels", meta.get("labels"), width)
    lines += _lines_of_map("Annotations", meta.get("annotations"), width)
    lines.append(f"Desired Number of Nodes Scheduled: {status.get('desiredNumberScheduled', 0)}")
    lines.append(f"Current Number of Nodes Scheduled: {status.get('currentNumberScheduled', 0)}")
    lines.append(f"Number of Nodes Scheduled with Up-to-date Pods: {status.get('updatedNumberScheduled', 0)}")
    lines.append(f"Number of Nodes Scheduled with Available Pods: {status.get('numberAvailable', 0)}")
    lines.append(f"Number of Nodes Misscheduled: {status.get('numberMisscheduled', 0)}")
    lines.append(f"Pods Status:  {_pod_status_counts(cluster, meta['uid'])}")
    lines += _template_lines(template)
    return lines + _events(cluster, ds, now)


def _pod_status_counts(cluster: Cluster, owner_uid: str) -> str:
    phases = list(Pod.objects.filter(cluster=cluster, owner_uid=owner_uid).values_list("phase", flat=True))
    counts = {p: phases.count(p) for p in ("Running", "Pending", "Succeeded", "Failed")}
    return (
        f"{counts['Running']} Running / {counts['Pending']} Waiting / "
        f"{counts['Succeeded']} Succeeded / {counts['Failed']} Failed"
    )


def _template_lines(template: dict) -> list[str]:
    lines = ["Pod Template:"]
    lines += ["  " + line for line in _lines_of_map("Labels", (template.get("metadata") or {}).get("labels"))]
    lines += _containers(template.get("spec") or {}, indent="   ")
    return lines


def describe_job(cluster: Cluster, job: dict, now: datetime) -> list[str]:
    meta, spec, status = job["metadata"], job.get("spec") or {}, job.get("status") or {}
    width = 17
    lines = _header(job, width)
    lines.append(_field("Selector", printers.format_label_selector(spec.get("selector")), width))
    lines += _lines_of_map("Labels", meta.get("labels"), width)
    lines += _lines_of_map("Annotations", meta.get("annotations"), width)
    lines += _controlled_by(meta)
    lines.append(_field("Parallelism", spec.get("parallelism", 1), width))
    lines.append(_field("Completions", spec.get("completions", "<unset>"), width))
    lines.append(_field("Completion Mode", spec.get("completionMode", "NonIndexed"), width))
    lines.append(_field("Suspend", str(bool(spec.get("suspend"))).lower(), width))
    lines.append(_field("Backoff Limit", spec.get("backoffLimit", 6), width))
    if status.get("startTime"):
        lines.append(_field("Start Time", _time(status["startTime"]), width))
    if status.get("completionTime"):
        lines.append(_field("Completed At", _time(status["completionTime"]), width))
        duration = parse_time(status["completionTime"]) - parse_time(status["startTime"])
        lines.append(_field("Duration", printers.human_duration(duration), width))
    lines.append(
        _field(
            "Pods Statuses",
            f"{status.get('active', 0)} Active ({status.get('ready', 0)} Ready) / "
            f"{status.get('succeeded', 0)} Succeeded / {status.get('failed', 0)} Failed",
            width,
        )
    )
    if spec.get("completionMode") == "Indexed":
        lines.append(_field("Completed Indexes", status.get("completedIndexes") or "<none>", width))
    lines += _template_lines(spec.get("template") or {})
    return lines + _events(cluster, job, now)


def describe_generic(cluster: Cluster, obj: dict, now: datetime) -> list[str]:
    meta = obj["metadata"]
    lines = _header(obj)
    lines += _lines_of_map("Labels", meta.get("labels"))
    lines += _lines_of_map("Annotations", meta.get("annotations"))
    lines.append(_field("API Version", obj.get("apiVersion", "")))
    lines.append(_field("Kind", obj.get("kind", "")))
    return lines + _events(cluster, obj, now)


DESCRIBERS = {
    "Pod": describe_pod,
    "Node": describe_node,
    "DaemonSet": describe_daemonset,
    "Job": describe_job,
}


def describe(cluster: Cluster, obj: dict, now: datetime) -> str:
    describer = DESCRIBERS.get(obj["kind"], describe_generic)
    return "\n".join(describer(cluster, obj, now)) + "\n"
