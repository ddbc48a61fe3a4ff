"""What the pages show, computed in Python so that templates only display.

Every value a template prints is prepared here: phase classes and STATUS words (from
`cluster.printers`, exactly kubectl's), pod names split into owner prefix and unique suffix,
ghost slots with the reason a DaemonSet pod is (not yet) there, plain-language explanations,
and the kubectl command behind every button. Nothing here writes anything.
"""
from __future__ import annotations

import functools
import html
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Iterable

from django.urls import reverse
from django.utils.safestring import SafeString

from cluster import printers
from cluster.models import SIM_EPOCH, Cluster, CronJob, DaemonSet, Event, Job, Node, Pod
from cluster.selectors import matches, parse_label_selector
from cluster.timeutil import parse_time

# --- small helpers ---------------------------------------------------------------------------

DENSE_NODES = 48          # above this many nodes the cards compact into a dense grid of tiles
NEW_NODE_SECONDS = 90     # a node is "new" for this long (simulated seconds)
FRESH_POD_SECONDS = 4     # a pod chip gets the accent ring for this long after its creation
FEED_LENGTH = 60
SPEEDS = (1, 10, 60, 100)
SYSTEM_TAINT_PREFIX = "node.kubernetes.io/"
HIDDEN_LABELS = {"kubernetes.io/hostname", "kubernetes.io/os", "kubernetes.io/arch",
                 "beta.kubernetes.io/os", "beta.kubernetes.io/arch"}
NAME_ALPHABET = set("bcdfghjklmnpqrstvwxz2456789")


def dom_id(prefix: str, *parts: str) -> str:
    """A stable element id (`node-node-4`, `pod-default-pi-x7k2p`): ws frames swap by it."""
    return "-".join([prefix, *[p.replace(".", "_") for p in parts if p]])


def clock_text(t: datetime) -> str:
    """`00:04:37`, or `day 2 · 00:04:37` after the first simulated day."""
    days = (t - SIM_EPOCH).days
    text = t.strftime("%H:%M:%S")
    return f"day {days + 1} · {text}" if days > 0 else text


def iso(t: datetime | None) -> str:
    return t.isoformat().replace("+00:00", "Z") if t else ""


class Ticking(str):
    """Text with one duration in it that reads the clock: `before + HumanDuration(now - since) + after`.

    As a string it is the text as printed at `now` (the server's render); a template prints it
    (`__html__`) with the duration in a `<span data-since="ISO">`, which `kubesim.js` re-computes
    from the page's ticking simulated clock between frames, with the same HumanDuration
    (kubectl's AGE format)."""

    __slots__ = ("before", "since", "duration", "after")

    def __new__(cls, before: str, since: datetime, now: datetime, after: str = ""):
        duration = printers.human_duration(now - since)
        self = super().__new__(cls, f"{before}{duration}{after}")
        self.before, self.since, self.duration, self.after = before, since, duration, after
        return self

    def __html__(self) -> str:
        return (f'{html.escape(self.before)}<span class="since" data-since="{iso(self.since)}">'
                f'{html.escape(self.duration)}</span>{html.escape(self.after)}')


def clock_cell(cell, now: datetime) -> "str | Ticking":
    """A printer cell as the page shows it: a cell that reads the clock (AGE, LAST SEEN, a running
    Job's DURATION, RESTARTS' "(5m ago)", a `printers.TimeCell`) ticks client-side between frames."""
    if type(cell) is printers.TimeCell:
        return Ticking(cell.prefix, cell.since, now, cell.suffix)
    return printers._cell_text(cell)


def seconds_text(seconds: float) -> str:
    seconds = max(0.0, seconds)
    return f"{seconds:.0f}" if seconds >= 1 or seconds == 0 else f"{seconds:.1f}"


def split_name(name: str, generate_name: str = "", owner: str = "") -> tuple[str, str]:
    """(dimmed owner prefix, strong unique suffix): `my-first-daemonset-` + `kg2z2`."""
    if generate_name and name.startswith(generate_name) and len(name) > len(generate_name):
        return generate_name, name[len(generate_name):]
    if owner and name.startswith(owner + "-") and len(name) > len(owner) + 1:
        return name[: len(owner) + 1], name[len(owner) + 1:]
    head, _, tail = name.rpartition("-")
    if head and len(tail) == 5 and set(tail) <= NAME_ALPHABET:
        return head + "-", tail
    return "", name


# kubectl STATUS word -> phase class (shape + colour in the stylesheet)
_STATUS_CLASS = {
    "Pending": "is-pending", "SchedulingGated": "is-pending",
    "ContainerCreating": "is-creating", "PodInitializing": "is-creating",
    "Running": "is-running", "NotReady": "is-running",
    "Completed": "is-succeeded", "Succeeded": "is-succeeded",
    "Error": "is-failed", "Failed": "is-failed", "OOMKilled": "is-failed", "Evicted": "is-failed",
    "ContainerStatusUnknown": "is-failed", "Unknown": "is-failed", "StartError": "is-failed",
    "CrashLoopBackOff": "is-crashloop", "ImagePullBackOff": "is-crashloop", "ErrImagePull": "is-crashloop",
    "CreateContainerConfigError": "is-crashloop", "RunContainerError": "is-crashloop",
    "Terminating": "is-terminating",
}
_PHASE_CLASS = {"Pending": "is-pending", "Running": "is-running", "Succeeded": "is-succeeded",
                "Failed": "is-failed", "Unknown": "is-failed"}


def phase_class(status_word: str, phase: str = "") -> str:
    """The chip class for kubectl's STATUS word (Init:… and Signal:/ExitCode: included)."""
    if status_word in _STATUS_CLASS:
        return _STATUS_CLASS[status_word]
    if status_word.startswith("Init:"):
        rest = status_word[5:]
        if rest in ("CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull"):
            return "is-crashloop"
        if rest[:1].isdigit():
            return "is-creating"
        return "is-failed"
    if status_word.startswith(("ExitCode:", "Signal:")):
        return "is-succeeded" if status_word == "ExitCode:0" else "is-failed"
    return _PHASE_CLASS.get(phase, "is-pending")


TERMINAL = ("Succeeded", "Failed")


# --- the viewer --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """Who is looking: anyone may watch; acting needs a signed-in user with permission."""

    signed_in: bool
    can_act: bool
    name: str

    @property
    def initial(self) -> str:
        return (self.name[:1] or "?").upper()

    @property
    def role(self) -> str:
        if self.can_act:
            return "can drive"
        return "watching" if not self.signed_in else "read-only"


ACT_PERMISSION = "cluster.change_cluster"


def viewer_for(user) -> Viewer:
    if user is None or not user.is_authenticated:
        return Viewer(False, False, "")
    return Viewer(True, bool(user.is_active and user.has_perm(ACT_PERMISSION)),
                  user.get_short_name() or user.get_username())


# --- the clock ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClockView:
    now: datetime
    paused: bool
    speed: float
    speeds: tuple

    @property
    def text(self) -> str:
        return clock_text(self.now)

    @property
    def iso(self) -> str:
        return iso(self.now)

    @property
    def speed_text(self) -> str:
        return f"{self.speed:g}x"

    @property
    def speed_buttons(self) -> list[dict]:
        return [{"value": s, "label": f"{s}x", "pressed": abs(self.speed - s) < 1e-9} for s in self.speeds]

    @property
    def toggle_label(self) -> str:
        return "Resume simulation" if self.paused else "Pause simulation"

    @property
    def toggle_icon(self) -> str:
        return "i-play" if self.paused else "i-pause"

    @property
    def toggle_op(self) -> str:
        return "resume" if self.paused else "pause"

    @property
    def state_text(self) -> str:
        return "paused" if self.paused else f"running at {self.speed:g}x"


def clock_view(cluster: Cluster) -> ClockView:
    return ClockView(cluster.sim_now, cluster.paused, cluster.speed, SPEEDS)


# --- pods ----------------------------------------------------------------------------------------


@dataclass
class PodChip:
    namespace: str
    name: str
    prefix: str
    suffix: str
    status: str
    css: str
    ready: str
    restarts: str
    age: str
    node: str
    owner_kind: str
    owner_name: str
    phase: str
    url: str
    created: datetime | None
    dim: bool = False
    stale: bool = False
    fresh: bool = False
    why: str = ""
    deleting: bool = False

    @property
    def id(self) -> str:
        return dom_id("pod", self.namespace, self.name)

    @property
    def classes(self) -> str:
        extra = [self.css]
        if self.dim:
            extra.append("is-dim")
        if self.stale:
            extra.append("is-stale")
        if self.fresh:
            extra.append("is-fresh")
        return " ".join(extra)

    @property
    def title(self) -> str:
        owner = f"{self.owner_kind} {self.owner_name}" if self.owner_kind else "no owner"
        where = f"on {self.node}" if self.node else "not on a node"
        return f"{self.name} · {self.status} · ready {self.ready} · restarts {self.restarts} · {owner} · {where} · age {self.age}"

    @property
    def terminated(self) -> bool:
        return self.phase in TERMINAL

    def markup(self, oob: bool = False, rv: int | None = None) -> str:
        """The chip's HTML: the one definition behind `components.html#pod-chip` (page, htmx
        request and WebSocket frame alike). Built here rather than by the template engine: a
        frame may carry a hundred chips. No per-chip htmx attributes: a delegated click handler
        (`kubesim.js`) opens the pod's dialog, and without JavaScript the link opens its page."""
        prefix = f"<span>{_esc(self.prefix)}</span>" if self.prefix else ""
        status = _esc(self.status)
        extra = (OOB if oob else "") + (f' data-rv="{rv}"' if rv is not None else "")
        return SafeString(
            f'<a class="pod {self.classes}" id="{_esc(self.id)}"{extra} href="{_esc(self.url)}" '
            f'data-st="{status}" title="{_esc(self.title)}"><span class="name">{prefix}<b>{_esc(self.suffix)}</b></span>'
            f'<span class="st">{status}</span></a>')

    @property
    def html(self) -> str:
        return self.markup()

    @property
    def html_oob(self) -> str:
        return self.markup(oob=True)


OOB = ' hx-swap-oob="true"'


@functools.lru_cache(maxsize=512)
def _url_template(route: str, cluster_name: str, nargs: int) -> str:
    return reverse(route, args=[cluster_name, *[f"ARG{i}MARK" for i in range(nargs)]])


def fast_url(route: str, cluster_name: str, *parts: str) -> str:
    """`reverse()` once per route, then string formatting (thousands of chips per page)."""
    url = _url_template(route, cluster_name, len(parts))
    for i, part in enumerate(parts):
        url = url.replace(f"ARG{i}MARK", part)
    return url


def pod_url(cluster_name: str, namespace: str, name: str) -> str:
    return fast_url("dashboard:pod", cluster_name, namespace, name)


def node_url(cluster_name: str, name: str) -> str:
    return fast_url("dashboard:node", cluster_name, name)


def pod_chip(cluster_name: str, obj: dict, now: datetime) -> PodChip:
    meta, status = obj["metadata"], obj.get("status") or {}
    cells = printers.row_cells(obj, now)
    ref = next((r for r in meta.get("ownerReferences") or [] if r.get("controller")), {})
    prefix, suffix = split_name(meta["name"], meta.get("generateName", ""), ref.get("name", ""))
    created = parse_time(meta["creationTimestamp"]) if meta.get("creationTimestamp") else None
    phase = status.get("phase") or "Pending"
    return PodChip(
        namespace=meta.get("namespace", "default"), name=meta["name"], prefix=prefix, suffix=suffix,
        status=cells[2], css=phase_class(cells[2], phase), ready=cells[1], restarts=str(cells[3]), age=cells[4],
        node=(obj.get("spec") or {}).get("nodeName") or "", owner_kind=ref.get("kind", ""),
        owner_name=ref.get("name", ""), phase=phase,
        url=pod_url(cluster_name, meta.get("namespace", "default"), meta["name"]), created=created,
        fresh=bool(created and (now - created).total_seconds() <= FRESH_POD_SECONDS),
        deleting=bool(meta.get("deletionTimestamp")),
    )


# --- filter ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PodFilter:
    """Namespace, owner and label filter. Pods that do not match are greyed, never hidden."""

    namespace: str = ""
    owner: str = ""      # "DaemonSet/name", "Job/name", "CronJob/name" or "none"
    labels: str = ""
    error: str = ""

    @classmethod
    def from_params(cls, params) -> "PodFilter":
        ns = (params.get("ns") or "").strip()
        owner = (params.get("owner") or "").strip()
        labels = (params.get("l") or "").strip()
        error = ""
        if labels:
            try:
                parse_label_selector(labels)
            except Exception as exc:  # the selector parser's own message
                error = str(exc) or "invalid label selector"
        return cls(ns, owner, labels, error)

    @property
    def active(self) -> bool:
        return bool(self.namespace or self.owner or (self.labels and not self.error))

    def matches(self, pod: PodChip, labels: dict | None) -> bool:
        if self.namespace and pod.namespace != self.namespace:
            return False
        if self.owner:
            if self.owner == "none":
                if pod.owner_kind:
                    return False
            elif f"{pod.owner_kind}/{pod.owner_name}" != self.owner:
                return False
        if self.labels and not self.error:
            if not matches(parse_label_selector(self.labels), labels or {}):
                return False
        return True

    def query(self) -> str:
        from urllib.parse import urlencode

        items = [(k, v) for k, v in (("ns", self.namespace), ("owner", self.owner), ("l", self.labels)) if v]
        return ("?" + urlencode(items)) if items else ""


# --- node cards --------------------------------------------------------------------------------------


@dataclass
class Ghost:
    """A controller's intent where no pod exists: wanted here (accent) or not here (excluded)."""

    wanted: bool
    text: str
    detail: str = ""
    due: str = ""         # ISO sim time the countdown counts to (client-side ticking)
    seconds: str = ""

    @property
    def css(self) -> str:
        return "ghost" if self.wanted else "ghost is-excluded"

    @property
    def icon(self) -> str:
        return "i-ghost" if self.wanted else "i-ban"


@dataclass
class PodGroup:
    kind_tag: str        # "ds", "job", "cj", "pod"
    owner_name: str
    url: str
    pods: list[PodChip] = field(default_factory=list)
    ghosts: list[Ghost] = field(default_factory=list)
    dim: bool = False


@dataclass
class Chip:
    text: str
    title: str = ""
    taint: bool = False
    system: bool = False


@dataclass
class NodeCard:
    name: str
    status: str
    badge: str
    badge_icon: str
    ready: bool
    cordoned: bool
    new: bool
    labels: list[Chip]
    taints: list[Chip]
    pod_count: int
    capacity: int
    groups: list[PodGroup]
    note: "str | Ticking"
    url: str
    dense_pods: list[PodChip] = field(default_factory=list)
    dense_ghosts: int = 0
    html: str = ""
    html_oob: str = ""

    @property
    def id(self) -> str:
        return dom_id("node", self.name)

    @property
    def classes(self) -> str:
        css = ["node"]
        if not self.ready:
            css.append("is-notready")
        if self.cordoned:
            css.append("is-cordoned")
        if self.new:
            css.append("is-new")
        return " ".join(css)

    @property
    def title(self) -> str:
        return f"{self.name} · {self.status} · pods {self.pod_count}/{self.capacity}"

    @property
    def full(self) -> bool:
        return self.pod_count >= self.capacity

    @property
    def ghost_range(self) -> range:
        return range(self.dense_ghosts)

    @property
    def cap_html(self) -> str:
        return cap_markup(self)


def _short_taint(taint: dict) -> Chip:
    key = taint.get("key", "")
    value = taint.get("value")
    full = f"{key}{'=' + value if value else ''}:{taint.get('effect', '')}"
    system = key.startswith(SYSTEM_TAINT_PREFIX)
    shown = full[len(SYSTEM_TAINT_PREFIX):] if system else full
    return Chip(shown, full, taint=True, system=system)


def node_status_word(node: dict, now: datetime) -> str:
    return printers.row_cells(node, now)[1]


def _ready_condition(node: dict) -> dict:
    for cond in (node.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return cond
    return {}


def node_note(node: dict, now: datetime, new: bool) -> str | Ticking:
    """The card's plain-language note; "NotReady for 40s" / "No heartbeat for 2m" tick client-side."""
    cond = _ready_condition(node)
    since = parse_time(cond["lastTransitionTime"]) if cond.get("lastTransitionTime") else None

    def noted(word: str, rest: str) -> str | Ticking:
        return Ticking(f"{word} for ", since, now, rest) if since else word + rest

    if cond.get("status") == "Unknown":
        return noted("No heartbeat", ". DaemonSet pods tolerate unreachable, so they stay; other pods are "
                                     "evicted after their 300 s toleration.")
    if cond.get("status") == "False":
        return noted("NotReady", f": {cond.get('message') or 'the kubelet reports a problem'}. New pods are not scheduled here.")
    if (node.get("spec") or {}).get("unschedulable"):
        return "Cordoned: no new pods are scheduled here, but DaemonSet pods tolerate unschedulable."
    if new:
        created = parse_time(node["metadata"]["creationTimestamp"])
        return f"Joined at {clock_text(created)}."
    return ""


def _capacity(node: dict) -> int:
    alloc = (node.get("status") or {}).get("allocatable") or {}
    try:
        return int(alloc.get("pods", 110))
    except (TypeError, ValueError):
        return 110


# --- the cluster snapshot a page renders from ----------------------------------------------------


@dataclass
class Snapshot:
    """Everything the cluster view needs, read once per render (nodes/pods optionally limited)."""

    cluster: Cluster
    now: datetime
    nodes: list[dict]
    pods: list[dict]
    daemonsets: list[dict]
    jobs: list[dict]
    cronjobs: list[dict]
    ds_memory: dict[str, dict]
    job_memory: dict[str, dict]
    node_count: int
    node_names: list[str] | None     # None: too many to list (more than LISTED_NODES)
    rv: int


def selective(model, cluster: Cluster):
    """`model.objects` of `cluster`, for queries with a selective condition of their own
    (`node_name`, `phase`, `ready`...): the cluster is compared as `cluster_id + 0`, which no
    index serves. SQLite has no statistics here (no ANALYZE) and otherwise walks the cluster_id
    index, i.e. every row of the cluster (10,000 pods: 10-20 ms a query instead of 0.1 ms)."""
    from django.db.models import F

    return model.objects.alias(_in_cluster=F("cluster_id") + 0).filter(_in_cluster=cluster.pk)


def node_rows(cluster: Cluster):
    """Nodes of `cluster` in name order, off the (cluster, namespace, name) unique index (nodes
    have no namespace): no sort."""
    return Node.objects.filter(cluster=cluster, namespace="").order_by("namespace", "name")


def _obj(kind: str, meta, spec, status) -> dict:
    return {"kind": kind, "metadata": meta, "spec": spec or {}, "status": status or {}}


def load_snapshot(cluster: Cluster, *, node_names: Iterable[str] | None = None, with_nodes: bool = True) -> Snapshot:
    """Read what the cluster view needs. `node_names` limits nodes (and their pods) to a few cards."""
    from controllers.models import ControllerMemory

    cluster.refresh_from_db(fields=["sim_now", "paused", "speed", "resource_version"])
    node_count = Node.objects.filter(cluster=cluster).count()
    # every name only where a page lists them (the "why no pod on" picker, up to LISTED_NODES)
    all_names = list(node_rows(cluster).values_list("name", flat=True)) if node_count <= LISTED_NODES else None
    nodes: list[dict] = []
    pods: list[dict] = []
    if with_nodes:
        nodes_qs = node_rows(cluster)
        pods_qs = Pod.objects.filter(cluster=cluster).exclude(node_name="")
        if node_names is not None:
            names = set(node_names)
            nodes_qs = nodes_qs.filter(name__in=names)
            pods_qs = selective(Pod, cluster).filter(node_name__in=names)
        nodes = [_obj("Node", m, sp, st) for m, sp, st in nodes_qs.values_list("metadata", "spec", "status")]
        pods = [_obj("Pod", m, sp, st) for m, sp, st in pods_qs.order_by("namespace", "name").values_list("metadata", "spec", "status")]
    daemonsets = [d.to_dict() for d in DaemonSet.objects.filter(cluster=cluster).order_by("namespace", "name")]
    jobs = [j.to_dict() for j in Job.objects.filter(cluster=cluster).order_by("namespace", "name")]
    cronjobs = [c.to_dict() for c in CronJob.objects.filter(cluster=cluster).order_by("namespace", "name")]
    memory = ControllerMemory.objects.filter(cluster=cluster, controller__in=("daemonset", "job"))
    ds_memory, job_memory = {}, {}
    for m in memory:
        (ds_memory if m.controller == "daemonset" else job_memory)[m.owner_uid] = m.data or {}
    return Snapshot(cluster, cluster.sim_now, nodes, pods, daemonsets, jobs, cronjobs, ds_memory, job_memory,
                    node_count, all_names, cluster.resource_version)


def _pods_by_owner(cluster: Cluster, uids: list[str]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    if not uids:
        return out
    for uid, m, sp, st in Pod.objects.filter(cluster=cluster, owner_uid__in=uids).values_list("owner_uid", "metadata", "spec", "status"):
        out.setdefault(uid, []).append(_obj("Pod", m, sp, st))
    return out


def _pending_pods(cluster: Cluster) -> list[dict]:
    qs = selective(Pod, cluster).filter(node_name="").exclude(phase__in=TERMINAL)
    first = sorted(qs.values_list("namespace", "name", "pk"))[:60]      # few: sorted here, off the node_name index
    by_pk = {pk: (m, sp, st) for pk, m, sp, st in
             Pod.objects.filter(pk__in=[pk for _, _, pk in first]).values_list("pk", "metadata", "spec", "status")}
    return [_obj("Pod", *by_pk[pk]) for _, _, pk in first if pk in by_pk]


def _ds_key(ds: dict) -> str:
    return f"{ds['metadata'].get('namespace', 'default')}/{ds['metadata']['name']}"


def owner_url(cluster_name: str, kind: str, namespace: str, name: str) -> str:
    route = {"DaemonSet": "dashboard:daemonset", "Job": "dashboard:job", "CronJob": "dashboard:cronjob"}.get(kind)
    return fast_url(route, cluster_name, namespace, name) if route else ""


def _backoff_left(memory: dict, ds: dict, node: str, now: datetime) -> float | None:
    """Seconds left in the DaemonSet's failed-pod back-off on `node` (its memory, 'gen/node' keys)."""
    best = None
    for key, entry in (memory.get("backoff") or {}).items():
        if key.rpartition("/")[2] != node:
            continue
        last = parse_time(entry.get("last")) if entry.get("last") else None
        if last is None:
            continue
        left = float(entry.get("delay", 0)) - (now - last).total_seconds()
        if left > 0:
            best = left if best is None else max(best, left)
    return best


def ds_ghost(ds: dict, node: dict, memory: dict, now: datetime, has_pod: bool) -> Ghost | None:
    """The ghost slot for DaemonSet `ds` on `node`, or None when a pod is there as it should be."""
    from controllers.daemonset_plan import placement

    where = placement(node, ds)
    name = node["metadata"]["name"]
    if has_pod:
        return None
    if not where.should_run:
        return Ghost(False, f"not here: {where.reason}")
    verdict = (memory.get("nodes") or {}).get(name) or {}
    left = _backoff_left(memory, ds, name, now)
    if left is not None:
        due = now + timedelta(seconds=left)
        return Ghost(True, "wanted here", "back-off", due=iso(due), seconds=seconds_text(left))
    if verdict.get("verdict") == "wait":
        return Ghost(True, "wanted here", _verdict_words(verdict.get("message", ""), name))
    return Ghost(True, "wanted here", "no pod yet, created on the next reconcile")


def _verdict_words(message: str, node: str) -> str:
    text = message
    if text.startswith(node + ": "):
        text = text[len(node) + 2:]
    text = re.sub(r": (create|keep|delete-extra|delete|skip|wait|update|surge)$", "", text)
    return text


@dataclass
class ClusterView:
    """The Nodes page: counts, workload strip, node cards (or dense tiles), tray, filter."""

    cluster_name: str
    now: datetime
    dense: bool
    nodes: list[NodeCard]
    owners: list["OwnerPill"]
    tray: list["TrayItem"]
    node_total: int
    ready_total: int
    pod_total: int
    unscheduled: int
    filter: PodFilter
    namespaces: list[str]
    owner_choices: list[tuple[str, str]]
    node_names: list[str] | None
    next_node_name: str
    rv: int
    more_after: str = ""     # dense grid: the last tile's name when more tiles follow

    @property
    def more_query(self) -> str:
        from urllib.parse import urlencode

        items = [(k, v) for k, v in (("ns", self.filter.namespace), ("owner", self.filter.owner), ("l", self.filter.labels)) if v]
        return "?" + urlencode(items + [("region", "nodes-more"), ("after", self.more_after)])

    @property
    def grid_class(self) -> str:
        return "node-grid is-dense" if self.dense else "node-grid"


LISTED_NODES = 200   # up to this many nodes the page lists their names (a <select>); above, a text field


def _next_node_name(names: list[str] | None, cluster: Cluster | None = None, count: int = 0) -> str:
    """The first free `node-N` (for the Add node button's kubectl line)."""
    if names is not None:
        used = set(names)
    else:   # too many names to read them all: the first 100 candidates, then every "node-" name
        candidates = [f"node-{n}" for n in range(1, 101)]
        used = set(node_rows(cluster).filter(name__in=candidates).values_list("name", flat=True))
        free = next((c for c in candidates if c not in used), None)
        if free:
            return free
        used = set(node_rows(cluster).filter(name__startswith="node-").values_list("name", flat=True))
    for n in range(1, len(used) + 2):
        if f"node-{n}" not in used:
            return f"node-{n}"
    return f"node-{len(used) + 1}"


def node_tools(cluster: Cluster) -> dict:
    """What the page lists about the nodes themselves: their names for the "Why no pod on" picker
    (None above LISTED_NODES: a text field) and the first free `node-N` for the Add node hint."""
    count = Node.objects.filter(cluster=cluster).count()
    names = list(node_rows(cluster).values_list("name", flat=True)) if count <= LISTED_NODES else None
    return {"node_names": names, "next_node_name": _next_node_name(names, cluster, count)}


DENSE_PAGE = 200   # tiles per page of the dense grid (a 1080p screen full); the next page loads as it scrolls into view


class _TileCache:
    """Tile markup per node, kept while nothing it shows changed: the key is the node's
    resourceVersion, the resourceVersions of its pods, the DaemonSets' (ghost squares), the
    filter and whether the node is still "new". A render reads those from indexed columns and
    builds only the tiles whose key moved (a churning cluster rebuilds a few tiles a frame)."""

    LIMIT = 20000

    def __init__(self):
        self.entries: dict[tuple, tuple] = {}
        self.lock = threading.Lock()

    def get(self, where: tuple, key: tuple):
        entry = self.entries.get(where)
        return entry[1] if entry is not None and entry[0] == key else None

    def put(self, where: tuple, key: tuple, value) -> None:
        with self.lock:
            if len(self.entries) >= self.LIMIT:
                for old in list(self.entries)[: self.LIMIT // 4]:   # oldest first (insertion order)
                    self.entries.pop(old, None)
            self.entries.pop(where, None)
            self.entries[where] = (key, value)


TILES = _TileCache()


@dataclass
class Tile:
    """One node's tile: `start` is `<a class=... id=...`, `tail` the rest; a frame puts its
    `hx-swap-oob` and `data-rv` in between."""

    name: str
    start: str
    tail: str

    @property
    def html(self) -> str:
        return SafeString(self.start + self.tail)

    def oob(self, rv: int) -> str:
        return SafeString(f'{self.start}{OOB} data-rv="{rv}"{self.tail}')


def dense_tiles(cluster: Cluster, flt: PodFilter, node_names: Iterable[str] | None, daemonsets: list[dict],
                ds_memory: dict, *, after: str = "") -> list[NodeCard]:
    """The dense grid (many nodes): one small tile per node, one square per pod.

    Built from indexed columns and two JSON paths read by the database (no object JSON is
    decoded), and the squares' markup is assembled here rather than in the template: at 5,000
    nodes and 10,000 pods a template loop alone would blow the first-render budget. Tiles are
    cached per node (`TILES`): a render first reads what each tile depends on (resourceVersions,
    indexed columns only) and builds just the tiles that changed. The STATUS word of a square
    is kubectl's for the common cases (waiting/terminated reason of the first container,
    Terminating, else the phase); open a node for the exact printer output.
    """
    from django.db.models import BooleanField, Case, Value, When

    now = cluster.sim_now
    nodes_qs = node_rows(cluster)
    if node_names is None:   # a page of the grid, in name order
        node_names = list(nodes_qs.filter(name__gt=after).values_list("name", flat=True)[:DENSE_PAGE])
    names = set(node_names)
    recent = Case(When(creation_timestamp__gte=now - timedelta(seconds=NEW_NODE_SECONDS),
                       creation_timestamp__gt=SIM_EPOCH, then=Value(True)), default=Value(False), output_field=BooleanField())
    order = list(nodes_qs.filter(name__in=names).annotate(recent=recent).values_list("name", "resource_version", "recent"))
    pod_rvs: dict[str, list[int]] = {}
    for node_name, pod_rv in selective(Pod, cluster).filter(node_name__in=names).values_list("node_name", "resource_version"):
        pod_rvs.setdefault(node_name, []).append(pod_rv)
    ds_key = tuple((ds["metadata"]["uid"], ds["metadata"].get("resourceVersion")) for ds in daemonsets)
    keys = {name: (node_rv, new, tuple(sorted(pod_rvs.get(name, ()))), ds_key, flt) for name, node_rv, new in order}
    tiles: dict[str, Tile] = {}
    for name in keys:
        tile = TILES.get((cluster.pk, cluster.name, name), keys[name])
        if tile is not None:
            tiles[name] = tile
    missing = set(keys) - set(tiles)
    if missing:
        for tile in _build_tiles(cluster, flt, missing, daemonsets, recent):
            tiles[tile.name] = tile
            if tile.name in keys:
                TILES.put((cluster.pk, cluster.name, tile.name), keys[tile.name], tile)
    rv = cluster.resource_version
    cards = []
    for name, _, new in order:
        tile = tiles.get(name)
        if tile is None:
            continue
        card = NodeCard(name=name, status="", badge="", badge_icon="", ready=True, cordoned=False, new=new, labels=[],
                        taints=[], pod_count=0, capacity=110, groups=[], note="", url=node_url(cluster.name, name))
        card.html = tile.html
        card.html_oob = tile.oob(rv)
        cards.append(card)
    return cards


def _build_tiles(cluster: Cluster, flt: PodFilter, names: set[str], daemonsets: list[dict], recent) -> list[Tile]:
    from django.db.models import BooleanField, Case, Value, When
    from django.db.models.fields.json import KT

    from controllers.daemonset_plan import placement

    nodes_qs = node_rows(cluster).filter(name__in=names)
    pods_qs = selective(Pod, cluster).filter(node_name__in=names)
    deleting = Case(When(deletion_timestamp__isnull=False, then=Value(True)), default=Value(False), output_field=BooleanField())
    fields = ["namespace", "name", "node_name", "phase", "deleting", "owner_kind", "owner_name", "waiting", "terminated"]
    if flt.labels:
        fields.append("labels")
    pods_by_node: dict[str, list] = {}
    rows = pods_qs.annotate(deleting=deleting, waiting=KT("status__containerStatuses__0__state__waiting__reason"),
                            terminated=KT("status__containerStatuses__0__state__terminated__reason")).values_list(*fields)
    for row in sorted(rows, key=lambda r: (r[0], r[1])):
        pods_by_node.setdefault(row[2], []).append(row)
    referenced: set[str] = set()
    for ds in daemonsets:
        tspec = ((ds.get("spec") or {}).get("template") or {}).get("spec") or {}
        referenced |= set((tspec.get("nodeSelector") or {}).keys())
        if tspec.get("affinity"):
            referenced.add("*")
    placements: dict = {}
    tiles = []
    for name, labels, spec, ready, unschedulable, new in nodes_qs.annotate(recent=recent).values_list(
            "name", "labels", "spec", "ready", "unschedulable", "recent"):
        node_pods = pods_by_node.get(name, [])
        squares, counted, running_ds = [], 0, set()
        for row in node_pods:
            ns, pname, _, phase, deleting, owner_kind, owner_name, waiting, terminated = row[:9]
            terminal = phase in TERMINAL
            if deleting and not terminal:
                word = "Terminating"
            else:
                word = waiting or terminated or phase
            css = phase_class(word, phase)
            if not terminal:
                counted += 1
                if owner_kind == "DaemonSet" and word != "Terminating":
                    running_ds.add(owner_name)
            if not ready == "True":
                css += " is-stale"
            if flt.active:
                chip = PodChip(ns, pname, "", pname, word, css, "", "", "", name, owner_kind, owner_name, phase, "", None)
                if not flt.matches(chip, row[9] if flt.labels else None):
                    css += " is-dim"
            word = _esc(word)
            squares.append(f'<i class="pq {css}" id="pod-{ns}-{pname.replace(".", "_")}" title="{_esc(pname)} · {word}"></i>')
        ghosts = 0
        if daemonsets:
            node = {"metadata": {"name": name, "labels": labels}, "spec": spec}
            key_labels = labels if "*" in referenced else {k: v for k, v in labels.items() if k in referenced}
            taints = spec.get("taints")
            signature = (tuple(sorted(key_labels.items())), json_key(taints) if taints else "",
                         bool(spec.get("unschedulable")), name if "*" in referenced else "")
            for ds in daemonsets:
                if ds["metadata"]["name"] in running_ds:
                    continue
                cache_key = (ds["metadata"]["uid"], signature)
                if cache_key not in placements:
                    placements[cache_key] = placement(node, ds).should_run
                ghosts += placements[cache_key]
        squares += ['<i class="pq is-ghost" title="a DaemonSet wants a pod here"></i>'] * ghosts
        is_ready = ready == "True"
        status = ("Ready" if is_ready else "NotReady") + (",SchedulingDisabled" if unschedulable else "")
        css = "tile" + ("" if is_ready else " is-notready") + (" is-cordoned" if unschedulable else "") + (" is-new" if new else "")
        title = f"{name} · {status} · pods {counted}/110"
        start = f'<a class="{css}" id="{dom_id("node", name)}"'
        tail = (f' href="{_esc(node_url(cluster.name, name))}" title="{_esc(title)}"><span class="tile-name">{_esc(name)}</span>'
                f'<span class="tile-pods">{"".join(squares)}</span></a>')
        tiles.append(Tile(name, start, tail))
    return tiles


_SAFE_TEXT = re.compile(r"[\w.:/ ,()·=-]*")


def _esc(text: str) -> str:
    """HTML-escape (quotes included) text for markup built in Python; most text needs nothing."""
    return text if _SAFE_TEXT.fullmatch(text) else html.escape(text)


def json_key(value) -> str:
    import json

    return json.dumps(value, sort_keys=True)


def node_cards(snap: Snapshot, flt: PodFilter, dense: bool) -> list[NodeCard]:
    """One card per node in `snap.nodes`, pods grouped by owner, ghosts where a DS wants a pod."""
    name = snap.cluster.name
    now = snap.now
    pods_by_node: dict[str, list[dict]] = {}
    for pod in snap.pods:
        node = (pod.get("spec") or {}).get("nodeName")
        if node:
            pods_by_node.setdefault(node, []).append(pod)
    cards = []
    for node in snap.nodes:
        meta = node["metadata"]
        node_name = meta["name"]
        status_word = node_status_word(node, now)
        cond = _ready_condition(node)
        ready = cond.get("status") == "True"
        cordoned = bool((node.get("spec") or {}).get("unschedulable"))
        created = parse_time(meta["creationTimestamp"])
        new = (now - created).total_seconds() <= NEW_NODE_SECONDS and created > SIM_EPOCH
        chips = []
        groups: dict[tuple, PodGroup] = {}
        counted = 0
        node_pods = pods_by_node.get(node_name, [])
        for pod in node_pods:
            chip = pod_chip(name, pod, now)
            chip.stale = not ready
            chip.dim = flt.active and not flt.matches(chip, pod["metadata"].get("labels"))
            if not chip.terminated:
                counted += 1
            chips.append(chip)
            tag = {"DaemonSet": "ds", "Job": "job", "CronJob": "cj"}.get(chip.owner_kind, "pod" if not chip.owner_kind else chip.owner_kind.lower())
            key = (0 if tag == "ds" else 1 if tag == "job" else 2, tag, chip.owner_name)
            group = groups.get(key)
            if group is None:
                group = groups[key] = PodGroup(tag, chip.owner_name or "no owner",
                                               owner_url(name, chip.owner_kind, chip.namespace, chip.owner_name))
            group.pods.append(chip)
        dense_ghosts = 0
        for ds in snap.daemonsets:
            ds_name = ds["metadata"]["name"]
            has_pod = any(c.owner_kind == "DaemonSet" and c.owner_name == ds_name and c.phase not in TERMINAL
                          and c.status != "Terminating" for c in chips)
            # a failed pod waiting for back-off still means "wanted here"
            ghost = ds_ghost(ds, node, snap.ds_memory.get(ds["metadata"]["uid"], {}), now, has_pod)
            if ghost is None:
                continue
            if dense:
                dense_ghosts += ghost.wanted
                continue
            key = (0, "ds", ds_name)
            group = groups.get(key)
            if group is None:
                group = groups[key] = PodGroup("ds", ds_name, owner_url(name, "DaemonSet", ds["metadata"].get("namespace", "default"), ds_name))
                ns = ds["metadata"].get("namespace", "default")
                group.dim = flt.active and ((flt.namespace and flt.namespace != ns)
                                            or (flt.owner and flt.owner != f"DaemonSet/{ds_name}"))
            group.ghosts.append(ghost)
        labels = [Chip(f"{k}={v}", f"{k}={v}") for k, v in sorted((meta.get("labels") or {}).items()) if k not in HIDDEN_LABELS]
        taints = [_short_taint(t) for t in (node.get("spec") or {}).get("taints") or []]
        badge = "badge-ready" if ready and not cordoned else "badge-notready" if not ready else "badge-cordoned"
        cards.append(NodeCard(
            name=node_name, status=status_word, badge=badge, badge_icon="is-failed" if not ready else "",
            ready=ready, cordoned=cordoned, new=new, labels=labels, taints=taints, pod_count=counted,
            capacity=_capacity(node), groups=[groups[k] for k in sorted(groups)],
            note=node_note(node, now, new), url=node_url(name, node_name),
            dense_pods=chips if dense else [], dense_ghosts=dense_ghosts,
        ))
    return cards


def cap_markup(card, oob: bool = False, rv: int | None = None) -> str:
    """`pods N/110` of a node card (`components.html#node-cap`); in a frame it carries the
    resourceVersion the frame was rendered from (`data-rv`)."""
    extra = f'{OOB} data-rv="{rv}"' if oob else ""
    return SafeString(f'<span class="node-cap{" is-full" if card.full else ""}" id="cap-{_esc(card.id)}"{extra}>'
                      f'pods <b>{card.pod_count}</b>/{card.capacity}</span>')


@dataclass
class NodeCap:
    """`pods N/110` of one card: re-sent alone when only a pod's status changed."""

    name: str
    pod_count: int
    capacity: int

    @property
    def id(self) -> str:
        return dom_id("node", self.name)

    @property
    def full(self) -> bool:
        return self.pod_count >= self.capacity

    @property
    def cap_html(self) -> str:
        return cap_markup(self)


def node_caps(cluster: Cluster, names: Iterable[str]) -> list[NodeCap]:
    from django.db.models import Count

    names = list(names)
    counts = dict(selective(Pod, cluster).filter(node_name__in=names).exclude(phase__in=TERMINAL)
                  .values_list("node_name").annotate(n=Count("id")).values_list("node_name", "n"))
    return [NodeCap(name, counts.get(name, 0), _capacity({"status": status}))
            for name, status in Node.objects.filter(cluster=cluster, name__in=names).values_list("name", "status")]


@dataclass
class OwnerPill:
    kind_tag: str
    name: str
    namespace: str
    url: str
    parts: list[tuple[str, str]]      # (label, value) counters
    warn: str = ""
    due: str = ""
    seconds: str = ""

    @property
    def id(self) -> str:
        return dom_id("owner", self.kind_tag, self.namespace, self.name)


def _job_backoff(job: dict, memory: dict, pods: list[dict], now: datetime) -> tuple[datetime | None, int]:
    """(when the Job controller may create its next pod, failures after the last success)."""
    from controllers.job_plan import backoff_delay

    status = job.get("status") or {}
    if any(c.get("type") in ("Complete", "Failed") and c.get("status") == "True" for c in status.get("conditions") or []):
        return None, 0
    if (job.get("spec") or {}).get("suspend"):
        return None, 0
    record = memory.get("backoff") or {}
    failures = int(record.get("failuresAfterLastSuccess") or 0)
    last = parse_time(record["lastFailureTime"]) if record.get("lastFailureTime") else None
    if last is None:
        # degrade: no memory yet; read it from the pods that are still there
        failed = [p for p in pods if (p.get("status") or {}).get("phase") == "Failed"]
        finished = []
        for p in failed:
            for cs in (p.get("status") or {}).get("containerStatuses") or []:
                term = (cs.get("state") or {}).get("terminated") or {}
                if term.get("finishedAt"):
                    finished.append(parse_time(term["finishedAt"]))
        if not finished:
            return None, 0
        failures, last = len(failed), max(finished)
    if failures <= 0:
        return None, 0
    due = last + backoff_delay(failures)
    active = int(status.get("active") or 0)
    if due <= now or active:
        return None, failures
    return due, failures


def owner_pills(snap: Snapshot, pods_by_owner: dict[str, list[dict]]) -> list[OwnerPill]:
    name = snap.cluster.name
    pills = []
    for ds in snap.daemonsets:
        meta, st = ds["metadata"], ds.get("status") or {}
        ns = meta.get("namespace", "default")
        pills.append(OwnerPill("ds", meta["name"], ns, owner_url(name, "DaemonSet", ns, meta["name"]), [
            ("desired", str(st.get("desiredNumberScheduled", 0))),
            ("current", str(st.get("currentNumberScheduled", 0))),
            ("ready", str(st.get("numberReady", 0))),
        ]))
    for job in snap.jobs:
        meta, st, spec = job["metadata"], job.get("status") or {}, job.get("spec") or {}
        ns = meta.get("namespace", "default")
        status_word = printers.row_cells(job, snap.now)[1]
        completions = spec.get("completions")
        parts = [("", status_word), ("completions", f"{st.get('succeeded', 0)}/{completions if completions is not None else '-'}")]
        if st.get("failed"):
            parts.append(("failed", f"{st.get('failed', 0)}/{spec.get('backoffLimit', 6)}"))
        pill = OwnerPill("job", meta["name"], ns, owner_url(name, "Job", ns, meta["name"]), parts)
        due, _ = _job_backoff(job, snap.job_memory.get(meta["uid"], {}), pods_by_owner.get(meta["uid"], []), snap.now)
        if due:
            pill.warn, pill.due = "next pod in", iso(due)
            pill.seconds = seconds_text((due - snap.now).total_seconds())
        pills.append(pill)
    for cj in snap.cronjobs:
        meta, spec = cj["metadata"], cj.get("spec") or {}
        ns = meta.get("namespace", "default")
        pills.append(OwnerPill("cj", meta["name"], ns, owner_url(name, "CronJob", ns, meta["name"]), [
            ("", spec.get("schedule", "")), ("active", str(len((cj.get("status") or {}).get("active") or []))),
        ]))
    return pills


@dataclass
class TrayItem:
    pod: PodChip | None
    ghost: Ghost | None
    why: str
    id: str


def tray_items(snap: Snapshot, flt: PodFilter, pods_by_owner: dict[str, list[dict]]) -> list[TrayItem]:
    """Pods not on a node (with the scheduler's words), and Jobs waiting out their back-off."""
    name = snap.cluster.name
    items = []
    pending = _pending_pods(snap.cluster)
    reasons = {}
    if pending:
        events = Event.objects.filter(cluster=snap.cluster, involved_kind="Pod", reason="FailedScheduling",
                                      involved_name__in=[p["metadata"]["name"] for p in pending])
        for ev in events.order_by("last_timestamp"):
            reasons[(ev.namespace, ev.involved_name)] = ev.body.get("message", "")
    for pod in pending:
        chip = pod_chip(name, pod, snap.now)
        chip.dim = flt.active and not flt.matches(chip, pod["metadata"].get("labels"))
        created = clock_text(chip.created) if chip.created else "?"
        why = reasons.get((chip.namespace, chip.name))
        text = f"Unschedulable: {why}" if why else f"Created {created}. Waiting for the scheduler's next pass."
        items.append(TrayItem(chip, None, text, dom_id("tray", chip.namespace, chip.name)))
    from controllers.job_plan import backoff_delay

    for job in snap.jobs:
        meta, spec = job["metadata"], job.get("spec") or {}
        due, failures = _job_backoff(job, snap.job_memory.get(meta["uid"], {}), pods_by_owner.get(meta["uid"], []), snap.now)
        if not due:
            continue
        limit = int(spec.get("backoffLimit", 6))
        left = max(limit + 1 - failures, 0)
        ghost = Ghost(True, meta["name"], "next pod in", due=iso(due), seconds=seconds_text((due - snap.now).total_seconds()))
        delay = backoff_delay(failures).total_seconds()
        why = (f"Back-off {delay:.0f} s after failure {failures} of backoffLimit {limit}. "
               f"{left} {'try' if left == 1 else 'tries'} left.")
        items.append(TrayItem(None, ghost, why, dom_id("tray-job", meta.get("namespace", "default"), meta["name"])))
    return items


CLUSTER_PARTS = frozenset({"counts", "owners", "nodes", "tray"})


def cluster_view(cluster: Cluster, flt: PodFilter, *, parts: Iterable[str] = CLUSTER_PARTS,
                 node_names: Iterable[str] | None = None, after: str = "") -> ClusterView:
    """The Nodes page, or only `parts` of it (`node_names` limits the cards to re-render)."""
    from django.db.models import Q

    parts = set(parts)
    dense = Node.objects.filter(cluster=cluster).count() > DENSE_NODES
    snap = load_snapshot(cluster, node_names=node_names, with_nodes="nodes" in parts and not dense)
    ready_total = pod_total = unscheduled = 0
    if "counts" in parts:   # each count off a selective index (not by reading every pod)
        not_ready = selective(Node, cluster).filter(Q(ready__lt="True") | Q(ready__gt="True")).count()
        ready_total = snap.node_count - not_ready
        pod_total = (Pod.objects.filter(cluster=cluster).count()
                     - selective(Pod, cluster).filter(phase__in=TERMINAL).count())
        unscheduled = selective(Pod, cluster).filter(node_name="").exclude(phase__in=TERMINAL).count()
    pods_by_owner = _pods_by_owner(cluster, [j["metadata"]["uid"] for j in snap.jobs]) if parts & {"owners", "tray"} else {}
    namespaces = sorted({o["metadata"].get("namespace", "default") for o in snap.daemonsets + snap.jobs + snap.cronjobs} | {"default"})
    owner_choices = [(f"{k}/{o['metadata']['name']}", f"{tag} {o['metadata']['name']}")
                     for k, tag, objs in (("DaemonSet", "ds", snap.daemonsets), ("Job", "job", snap.jobs), ("CronJob", "cj", snap.cronjobs))
                     for o in objs] + [("none", "pods with no owner")]
    view = ClusterView(
        cluster_name=cluster.name, now=snap.now, dense=dense,
        nodes=(dense_tiles(cluster, flt, node_names, snap.daemonsets, snap.ds_memory, after=after) if dense
               else node_cards(snap, flt, dense)) if "nodes" in parts else [],
        owners=owner_pills(snap, pods_by_owner) if "owners" in parts else [],
        tray=tray_items(snap, flt, pods_by_owner) if "tray" in parts else [],
        node_total=snap.node_count, ready_total=ready_total, pod_total=pod_total, unscheduled=unscheduled, filter=flt,
        namespaces=namespaces, owner_choices=owner_choices, node_names=snap.node_names,
        next_node_name=_next_node_name(snap.node_names, cluster, snap.node_count) if "nodes" in parts else "",
        rv=snap.rv,
    )
    if dense and "nodes" in parts and node_names is None and len(view.nodes) == DENSE_PAGE:
        view.more_after = view.nodes[-1].name
    return view


# --- explain feed ----------------------------------------------------------------------------------


ACTOR_GROUP = {
    "daemonset-controller": "ds", "job-controller": "job", "cronjob-controller": "job",
    "node-lifecycle": "nodes", "scheduler": "nodes", "default-scheduler": "nodes", "kubelet": "nodes",
    "pod-gc": "nodes", "garbage-collector": "nodes", "ttl-after-finished": "job",
}
VERB_CLASS = {
    "create": "is-create", "created": "is-create", "bind": "is-create", "start": "is-create", "adopt": "is-create",
    "wait": "is-wait", "backoff": "is-wait", "back-off": "is-wait", "taint": "is-wait", "suspend": "is-wait",
    "skip": "is-skip", "keep": "is-skip", "note": "is-skip", "unschedulable": "is-wait",
    "delete": "is-delete", "delete-extra": "is-delete", "evict": "is-delete", "fail": "is-delete", "failed": "is-delete",
}
PEOPLE_PREFIX = "user:"


@dataclass
class Segment:
    text: str
    url: str = ""
    code: bool = False


@dataclass
class ExplainEntry:
    pk: int
    time: str
    actor: str
    verb: str
    css: str
    group: str
    segments: list[Segment]
    then: list[Segment]
    kubectl: str
    latest: bool = False

    @property
    def id(self) -> str:
        return f"ev-{self.pk}"


_TOKEN = re.compile(r"([\s,;()\[\]{}\"']+)")
_SELECTOR = re.compile(r"^[\w./-]+(=|!=)[\w./-]*(:(NoSchedule|NoExecute|PreferNoSchedule))?$|^[\w./-]+:(NoSchedule|NoExecute|PreferNoSchedule)$")


class Linker:
    """Turns object names inside sentences into links (nodes, pods, workloads of the cluster).
    Only the words of `texts` are looked up, so a feed costs a few small queries."""

    def __init__(self, cluster: Cluster, texts: Iterable[str] = ()):
        name = cluster.name
        words = set()
        for text in texts:
            words.update(t.rstrip(".:") for t in _TOKEN.split(text) if t)
        words.discard("")
        self.urls: dict[str, str] = {}
        if not words:
            return
        words = list(words)
        for ns, n in Pod.objects.filter(cluster=cluster, name__in=words).values_list("namespace", "name"):
            self.urls[n] = pod_url(name, ns, n)
        for kind, model in (("Job", Job), ("CronJob", CronJob), ("DaemonSet", DaemonSet)):
            for ns, n in model.objects.filter(cluster=cluster, name__in=words).values_list("namespace", "name"):
                self.urls[n] = owner_url(name, kind, ns, n)
        for n in Node.objects.filter(cluster=cluster, name__in=words).values_list("name", flat=True):
            self.urls[n] = node_url(name, n)

    def segments(self, text: str) -> list[Segment]:
        out: list[Segment] = []
        for token in _TOKEN.split(text):
            if not token:
                continue
            core = token.rstrip(".:")
            tail = token[len(core):]
            if core in self.urls:
                out.append(Segment(core, self.urls[core]))
                if tail:
                    out.append(Segment(tail))
            elif _SELECTOR.match(core) and not core.startswith("http"):
                out.append(Segment(core, code=True))
                if tail:
                    out.append(Segment(tail))
            elif out and not out[-1].url and not out[-1].code:
                out[-1].text += token
            else:
                out.append(Segment(token))
        return out


def _tidy(decision) -> tuple[str, str, str]:
    """(observation, decision) in plain words from a Decision row's message."""
    message = decision.message.strip()
    kubectl = ""
    if "\n$ " in message:
        message, _, kubectl = message.partition("\n$ ")
    if decision.node and message.startswith(decision.node + ": "):
        message = decision.node + " " + message[len(decision.node) + 2:]
    observation, arrow, then = message.partition(" → ")
    observation = re.sub(r": (create|keep|delete-extra|delete|skip|wait|update|surge)$", "", observation)
    if arrow:
        return observation, "→ " + then, kubectl
    return observation, "", kubectl


def explain_entries(cluster: Cluster, *, limit: int = FEED_LENGTH, linker: Linker | None = None,
                    after: int | None = None) -> list[ExplainEntry]:
    from controllers.models import Decision

    rows = Decision.objects.filter(cluster=cluster).order_by("-id")
    if after is not None:
        rows = rows.filter(id__gt=after)
    rows = list(rows[:limit])
    linker = linker or Linker(cluster, [d.message for d in rows])
    entries = []
    for i, d in enumerate(rows):
        observation, then, kubectl = _tidy(d)
        person = d.controller.startswith(PEOPLE_PREFIX)
        actor = d.controller[len(PEOPLE_PREFIX):] if person else d.controller
        group = "people" if person else ACTOR_GROUP.get(d.controller, "nodes")
        css = "is-you" if person else VERB_CLASS.get(d.verb, "")
        entries.append(ExplainEntry(
            pk=d.pk, time=clock_text(d.time), actor=actor, verb=d.verb.replace("-", " "), css=css, group=group,
            segments=linker.segments(observation), then=linker.segments(then) if then else [],
            kubectl=kubectl, latest=(i == 0),
        ))
    return entries


def explain_total(cluster: Cluster) -> int:
    from controllers.models import Decision

    return Decision.objects.filter(cluster=cluster).count()


# --- "why is there no pod on node-4?" ------------------------------------------------------------------


@dataclass
class WhyAnswer:
    node: str
    lines: list[dict]
    found: bool

    @property
    def id(self) -> str:
        return "why-answer"


def why_no_pod(cluster: Cluster, node_name: str) -> WhyAnswer:
    """Per DaemonSet: its latest verdict for the node, from the controller's memory and decisions."""
    from controllers.daemonset_plan import placement
    from controllers.models import ControllerMemory, Decision

    node = Node.objects.filter(cluster=cluster, name=node_name).first() if node_name else None
    if node is None:
        text = f'There is no node "{node_name}" in this cluster.' if node_name else "Name a node to ask about."
        return WhyAnswer(node_name, [{"ds": "", "verdict": "", "url": "", "when": "", "segments": [Segment(text)]}], False)
    node_obj = node.to_dict()
    linker = Linker(cluster, [node_name] + list(Pod.objects.filter(cluster=cluster, node_name=node_name).values_list("name", flat=True)))
    lines = []
    for ds_row in DaemonSet.objects.filter(cluster=cluster).order_by("namespace", "name"):
        ds = ds_row.to_dict()
        memory = ControllerMemory.objects.filter(cluster=cluster, controller="daemonset", owner_uid=ds_row.uid).first()
        verdict = ((memory.data if memory else {}).get("nodes") or {}).get(node_name)
        pods = list(Pod.objects.filter(cluster=cluster, owner_uid=ds_row.uid, node_name=node_name).values_list("name", flat=True))
        last = Decision.objects.filter(cluster=cluster, kind="DaemonSet", namespace=ds_row.namespace,
                                       name=ds_row.name, node=node_name).order_by("-id").first()
        where = placement(node_obj, ds)
        if verdict:
            text = f"{_verdict_words(verdict.get('message', ''), node_name)} (verdict: {verdict.get('verdict')})"
        elif where.should_run:
            text = "the controller has not looked at this node yet: it wants a pod here and creates it on its next reconcile"
        else:
            text = f"no pod wanted: {where.reason}"
        if pods:
            text = f"pod {', '.join(pods)} is here. " + text
        when = f"decided at {clock_text(last.time)}" if last else ""
        lines.append({"ds": ds_row.name, "url": owner_url(cluster.name, "DaemonSet", ds_row.namespace, ds_row.name),
                      "verdict": (verdict or {}).get("verdict", "create" if where.should_run else "skip"),
                      "segments": linker.segments(text), "when": when})
    if not lines:
        lines.append({"ds": "", "url": "", "verdict": "", "segments": [Segment("No DaemonSet in this cluster: nothing wants a pod on every node.")], "when": ""})
    return WhyAnswer(node_name, lines, True)


# --- kubectl-style tables ----------------------------------------------------------------------------------


@dataclass
class Table:
    title: str
    kind: str
    command: str
    headers: list[str]
    rows: list[dict]      # {"cells": [...], "url": "", "warn": bool, "id": ""}
    empty: str

    @property
    def id(self) -> str:
        return dom_id("table", self.kind.lower())


def kubectl_table(cluster: Cluster, kind: str, objs: list[dict], now: datetime, *, command: str,
                  title: str = "", wide: Iterable[str] = (), link=None, empty: str = "") -> Table:
    columns = printers.COLUMNS[kind]
    shown = [i for i, c in enumerate(columns) if c.priority == 0 or c.name in wide]
    rows = []
    for obj in objs:
        cells = printers.row_template(obj)
        texts = [clock_cell(cells[i], now) for i in shown]
        warn = kind == "Event" and obj.get("type") == "Warning"
        rows.append({"cells": texts, "url": link(obj) if link else "", "warn": warn})
    ns = "" if kind in ("Node",) else " in default namespace"
    return Table(title or kind, kind, command, [columns[i].name.upper() for i in shown], rows,
                 empty or f"No resources found{ns}.")


def events_for(cluster: Cluster, *, kind: str = "", name: str = "", namespace: str = "", limit: int = 50) -> list[dict]:
    qs = Event.objects.filter(cluster=cluster)
    if kind:
        qs = qs.filter(involved_kind=kind, involved_name=name)
    if namespace:
        qs = qs.filter(namespace=namespace)
    rows = list(qs.order_by("-last_timestamp", "-id")[:limit])
    rows.reverse()
    return [e.to_dict() for e in rows]


def events_table(cluster: Cluster, events: list[dict], now: datetime, *, command: str) -> Table:
    # `kubectl events` says it its own way when there are none (`kubectl get events`: "No resources found")
    empty = "No events found in default namespace." if command.startswith("kubectl events") else ""
    return kubectl_table(cluster, "Event", events, now, command=command, title="Events", empty=empty)


# --- kubectl commands behind the buttons ------------------------------------------------------------------------


def ns_flag(namespace: str) -> str:
    return f" -n {namespace}" if namespace and namespace != "default" else ""


def node_commands(name: str) -> dict[str, str]:
    return {
        "cordon": f"kubectl cordon {name}",
        "uncordon": f"kubectl uncordon {name}",
        "remove": f"kubectl delete node {name}",
        "fail": f"kubectl get node {name}   # the kubelet reports NotReady",
        "partition": f"kubectl get node {name} -w   # heartbeats stop",
        "recover": f"kubectl get node {name}   # the kubelet is back",
        "label": f"kubectl label node {name} KEY=VALUE --overwrite",
        "taint": f"kubectl taint node {name} KEY=VALUE:NoSchedule",
    }


# --- dialogs: a pod, a node, an object's YAML ---------------------------------------------------------------


@dataclass
class PodDetail:
    chip: PodChip
    rows: list[tuple[str, str]]
    owner_url: str
    node_url: str
    containers: list[dict]
    events: Table
    logs: list[str]
    log_note: str
    commands: dict[str, str]
    running_containers: list[str]
    yaml_url: str


def pod_detail(cluster: Cluster, row: Pod) -> PodDetail:
    from controllers.programs import read_container

    now = cluster.sim_now
    obj = row.to_dict()
    chip = pod_chip(cluster.name, obj, now)
    cells = printers.row_cells(obj, now)
    status = obj.get("status") or {}
    rows = [("Namespace", chip.namespace), ("Node", chip.node or "<none> (not scheduled yet)"),
            ("Owner", f"{chip.owner_kind}/{chip.owner_name}" if chip.owner_kind else "<none>"),
            ("Status", chip.status), ("Ready", chip.ready), ("Restarts", chip.restarts), ("Age", chip.age),
            ("IP", cells[5]), ("Phase", chip.phase), ("Created", clock_text(chip.created) if chip.created else "-")]
    containers, running, logs = [], [], []
    statuses = {cs.get("name"): cs for cs in status.get("containerStatuses") or []}
    annotations = obj["metadata"].get("annotations") or {}
    for c in (obj.get("spec") or {}).get("containers") or []:
        cs = statuses.get(c["name"], {})
        state = cs.get("state") or {}
        word = next(iter(state), "waiting")
        detail = state.get(word) or {}
        text = detail.get("reason") or word.capitalize()
        if word == "terminated":
            text = f"Terminated: {detail.get('reason', '')} (exit {detail.get('exitCode')})"
        if word == "running":
            running.append(c["name"])
            text = f"Running since {clock_text(parse_time(detail['startedAt']))}" if detail.get("startedAt") else "Running"
        containers.append({"name": c["name"], "image": c.get("image", ""), "state": text,
                           "restarts": cs.get("restartCount", 0)})
        started = detail.get("startedAt")
        if started:
            end = parse_time(detail["finishedAt"]) if detail.get("finishedAt") else now
            logs += read_container(c, annotations).log_until((end - parse_time(started)).total_seconds())
    ns = ns_flag(chip.namespace)
    events = events_table(cluster, events_for(cluster, kind="Pod", name=row.name, namespace=row.namespace), now,
                          command=f"kubectl events --for pod/{row.name}{ns}")
    return PodDetail(
        chip, rows, owner_url(cluster.name, chip.owner_kind, chip.namespace, chip.owner_name),
        reverse("dashboard:node", args=[cluster.name, chip.node]) if chip.node else "", containers, events, logs,
        "" if logs else "(no output)",
        {"kill": f"kubectl delete pod {row.name}{ns}", "crash": f"kubectl get pod {row.name}{ns} -w   # a container dies with exit 137",
         "logs": f"kubectl logs {row.name}{ns}", "describe": f"kubectl describe pod {row.name}{ns}"},
        running, reverse("dashboard:yaml", args=[cluster.name, "Pod", row.namespace, row.name]),
    )


@dataclass
class NodeDetail:
    card: NodeCard
    conditions: list[dict]
    capacity: list[tuple[str, str]]
    commands: dict[str, str]
    ready_status: str
    partitioned: bool
    yaml_url: str


def node_detail(cluster: Cluster, row: Node) -> NodeDetail:
    from controllers.models import ControllerMemory

    snap = load_snapshot(cluster, node_names=[row.name])
    card = node_cards(snap, PodFilter(), False)[0]
    node = row.to_dict()
    conds = [{"type": c.get("type"), "status": c.get("status"), "reason": c.get("reason", ""),
              "since": clock_text(parse_time(c["lastTransitionTime"])) if c.get("lastTransitionTime") else ""}
             for c in (node.get("status") or {}).get("conditions") or []]
    alloc = (node.get("status") or {}).get("allocatable") or {}
    partitioned = ControllerMemory.objects.filter(cluster=cluster, owner_uid=row.uid, controller="node-partition").exists()
    return NodeDetail(card, conds, sorted(alloc.items()), node_commands(row.name), row.ready, partitioned,
                      reverse("dashboard:yaml", args=[cluster.name, "Node", "_", row.name]))


def object_yaml(cluster: Cluster, kind: str, namespace: str, name: str) -> dict:
    import yaml

    from cluster import store
    from cluster.errors import ApiError
    from cluster.kinds import resource_for

    try:
        res = resource_for(kind)
        obj = store.get(cluster, kind, namespace if res.namespaced else "", name).to_dict()
    except (ApiError, LookupError) as exc:
        return {"title": f"{kind} {name}", "text": str(exc), "command": ""}
    flag = ns_flag(namespace) if res.namespaced else ""
    return {"title": f"{kind} {name}", "text": yaml.safe_dump(obj, sort_keys=False, default_flow_style=False),
            "command": f"kubectl get {res.singular} {name}{flag} -o yaml"}
