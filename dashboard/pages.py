"""The live pages: for each, its template, its regions and how a change maps to them.

A `Page` is built from the cluster, the URL's arguments, the query string and the viewer. The
view renders `page.context()` into the full template (or one region for an htmx request), and
the WebSocket consumer renders `page.frame(keys)`: the affected regions, each through the same
`{% partialdef %}` the full page used, with `oob` set so every top-level element carries
`hx-swap-oob="true"`. So the same partial serves the full page, the htmx request and the push.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from django.template.loader import get_template
from django.urls import reverse

from cluster.models import Cluster, CronJob, DaemonSet, Job, Node, Pod
from dashboard import presenters as p
from dashboard import scenarios
from dashboard import workloads as w

COMPONENTS = "dashboard/components.html"


def render_partial(name: str, context: dict) -> str:
    return get_template(name).render(context)


def cluster_names() -> list[str]:
    return list(Cluster.objects.order_by("name").values_list("name", flat=True))


@dataclass
class Page:
    cluster: Cluster
    kwargs: dict
    query: dict
    viewer: p.Viewer
    name = "page"
    template = ""
    section = ""
    title = ""
    regions: ClassVar[tuple[str, ...]] = ()
    prefix: ClassVar[str] = ""                    # an object page's partials are named `<prefix>-<region>`
    state: dict = field(default_factory=dict)   # what the consumer remembers between frames

    # -- shared --------------------------------------------------------------------------------
    def partial(self, region: str) -> str:
        """The template partial that renders `region` (for a page, an htmx request or a frame)."""
        return f"{self.template}#{self.prefix}-{region}" if self.prefix else f"{self.template}#{region}"

    def base(self, oob: bool = False) -> dict:
        return {"cluster_name": self.cluster.name, "viewer": self.viewer, "clock": p.clock_view(self.cluster),
                "oob": oob}

    def ws_path(self) -> str:
        return "/ws" + self.path()

    def path(self) -> str:
        if self.name == "page":
            return reverse("dashboard:scenarios", args=[self.cluster.name])
        return reverse(f"dashboard:{self.name}", kwargs={"cluster": self.cluster.name, **self.kwargs})

    def context(self) -> dict:
        version = self.version()     # read first: the page shows this state or a newer one
        ctx = self.base()
        ctx.update(self.page_context())
        ctx.update({"page_title": self.title, "section": self.section, "clusters": cluster_names(),
                    "ws_url": self.ws_path() + self.query_string(v=version), "watchers": 0})
        return ctx

    def version(self) -> str:
        """What the page is rendered from: the cluster row, its resourceVersion and the latest
        decision. The page's socket sends it back on connect, and gets no snapshot if the
        cluster still is at that version (see `consumers.Hub.connected`)."""
        from controllers.models import Decision

        rv = Cluster.objects.filter(pk=self.cluster.pk).values_list("resource_version", flat=True).first()
        last = Decision.objects.filter(cluster=self.cluster).order_by("-id").values_list("id", flat=True).first() or 0
        return f"{self.cluster.pk}.{rv}.{last}"

    def query_string(self, **extra) -> str:
        from urllib.parse import urlencode

        query = {**self.query, **extra}
        return ("?" + urlencode(query)) if query else ""

    def page_context(self) -> dict:
        return {}

    def want(self, keys: set[str]) -> set[str]:
        """The regions of this page affected by these change keys."""
        return set()

    def frame(self, keys: set[str]) -> str:
        """OOB HTML for the regions these keys touch ("*" = everything: a resync)."""
        self.state["snapshot"] = "*" in keys
        if "*" in keys:
            self.state["sent"] = {}     # a snapshot (maybe for one client only): forget what all have
        regions = set(self.regions) | {"clock"} if "*" in keys else self.want(keys)
        if "clock" in keys:
            regions.add("clock")
        if not regions:
            return ""
        return self.render_regions(regions)

    def render_regions(self, regions: set[str]) -> str:
        out = []
        if "clock" in regions:
            out.append(render_partial(f"{COMPONENTS}#clock", self.base(oob=True)))
        out.append(self.render_page_regions(regions - {"clock"}))
        return "".join(out)

    def render_page_regions(self, regions: set[str]) -> str:
        return ""

    def explain_context(self, oob: bool) -> dict:
        return {"explain": p.explain_entries(self.cluster), "oob": oob, "cluster_name": self.cluster.name}

    def new_decisions(self) -> bool:
        """Whether a decision was recorded since this page last rendered its feed."""
        from controllers.models import Decision

        last = self.state.pop("latest_decision", None)   # the hub read it with the cluster row
        if last is None:
            last = Decision.objects.filter(cluster=self.cluster).order_by("-id").values_list("id", flat=True).first() or 0
        if last == self.state.get("decision"):
            return False
        self.state["decision"] = last
        return True


# --- Nodes (cluster view) ------------------------------------------------------------------------------


class ClusterPage(Page):
    name = "cluster"
    template = "dashboard/cluster.html"
    section = "nodes"
    title = "Nodes"
    regions = ("counts", "owners", "nodes", "tray", "explain", "node-tools")

    @property
    def filter(self) -> p.PodFilter:
        return p.PodFilter.from_params(self.query)

    partials = ("counts", "owners", "nodes", "tray", "nodes-more")

    def page_context(self) -> dict:
        view = p.cluster_view(self.cluster, self.filter, after=self.query.get("after", ""))
        self.state["dense"] = view.dense
        self._remember(view.nodes, everything=True)
        self.state["ds_generations"] = self._ds_generations()
        return {"view": view, "explain": p.explain_entries(self.cluster), "node_names": view.node_names,
                "next_node_name": view.next_node_name}

    def _ds_generations(self) -> dict:
        return dict(((ns, n), g) for ns, n, g in DaemonSet.objects.filter(cluster=self.cluster).values_list("namespace", "name", "generation"))

    def want(self, keys: set[str]) -> set[str]:
        regions = {k for k in keys if k in ("counts", "owners", "nodes", "tray", "explain")}
        if "reset" in keys:
            return set(self.regions)
        if "explain" in regions and not self.new_decisions():
            regions.discard("explain")
        if "ds-nodes" in keys:
            regions.add("owners")
        if "nodes" in keys:             # a node added or removed: the node picker and the Add node hint
            regions.add("node-tools")
        if any(k.startswith("ds:") for k in keys):
            generations = self._ds_generations()
            if generations != self.state.get("ds_generations"):
                self.state["ds_generations"] = generations
                regions.add("nodes")
        regions |= {k for k in keys if k.startswith(("node:", "pod:"))}
        return regions

    SUMMARY = frozenset({"counts", "owners", "tray"})

    def render_page_regions(self, regions: set[str]) -> str:
        if not regions:
            return ""
        node_keys = {r[5:] for r in regions if r.startswith("node:")}
        parts = {r for r in regions if r in p.CLUSTER_PARTS}
        total = self.state.get("node_total")
        if total is None or node_keys or "nodes" in parts or self.state.get("snapshot"):
            total = self.state["node_total"] = Node.objects.filter(cluster=self.cluster).count()
        dense = total > p.DENSE_NODES
        if dense != self.state.get("dense", dense):
            parts.add("nodes")          # the grid changes shape: send it whole
        self.state["dense"] = dense
        chips = self._pod_changes(regions, node_keys, dense, parts)
        if node_keys and len(node_keys) > max(12, total // 3):
            parts.add("nodes")
        if "nodes" in parts:
            if chips:
                parts |= self.SUMMARY   # the chips' changes are not looked at one by one
            node_keys, chips = set(), {}
        out = []
        if chips:
            html, changed = self._render_chips(chips)
            out.append(html)
            if changed:                 # a pod's node, phase or deletion changed, not only its status
                parts |= self.SUMMARY
        if parts or node_keys:
            view = p.cluster_view(self.cluster, self.filter, parts=parts | ({"nodes"} if node_keys else set()),
                                  node_names=node_keys or None if "nodes" not in parts else None)
            ctx = {**self.base(oob=True), "view": view}
            tpl = self.template
            for part in ("counts", "owners", "tray"):
                if part in parts:
                    out.append(self._unless_sent(part, render_partial(f"{tpl}#{part}", ctx)))
            if "owners" in parts:   # the filter's namespace and owner lists follow the workloads
                out.append(self._unless_sent("filter-more", render_partial(f"{tpl}#filter-more", ctx)))
            if "nodes" in parts:
                out.append(render_partial(f"{tpl}#nodes", ctx))
                self._remember(view.nodes, everything=True)
            elif node_keys:
                present = set()
                for card in view.nodes:
                    present.add(card.name)
                    if view.dense:
                        out.append(card.html_oob)
                    else:
                        out.append(render_partial(f"{COMPONENTS}#node-card", {**ctx, "card": card}))
                self._remember(view.nodes, names=node_keys)
                if node_keys - present:   # a node went away: the grid loses a card
                    full = p.cluster_view(self.cluster, self.filter, parts={"nodes"})
                    out.append(render_partial(f"{tpl}#nodes", {**ctx, "view": full}))
                    self._remember(full.nodes, everything=True)
        if "explain" in regions:
            out.append(render_partial(f"{COMPONENTS}#explain-feed", self.explain_context(True)))
        if "node-tools" in regions:
            out.append(self._unless_sent("node-tools", self._render_node_tools()))
        return "".join(out)

    def _render_node_tools(self) -> str:
        """The Explain panel's "Why no pod on" picker and, for who may act, the Add node button's
        kubectl line (the first free node-N): both follow the nodes as they come and go."""
        ctx = {**self.base(oob=True), **p.node_tools(self.cluster)}
        html = render_partial(f"{COMPONENTS}#why-node", ctx)
        if self.viewer.can_act:
            html += render_partial(f"{COMPONENTS}#add-node-cmd", ctx)
        return html

    def _unless_sent(self, region: str, html: str) -> str:
        """A summary region (counts, workload strip, tray) is re-read on most changes but changes
        far less often: a frame leaves it out when every client already shows exactly this (the
        last frame sent it). A snapshot goes to one client: after it, the next frame sends again."""
        sent = self.state.setdefault("sent", {})
        if self.state.get("snapshot"):
            return html
        if sent.get(region) == html:
            return ""
        sent[region] = html
        return html

    # -- pod-level frames: a status change re-renders the chip (and the node's pod count) only --
    def _pod_changes(self, regions, node_keys: set, dense: bool, parts: set) -> dict:
        """`pod:` keys split into chips to re-render alone and nodes whose card must come whole
        (a pod new on the node, or the page does not know it: then the summaries come too)."""
        changed = {}
        for r in regions:
            if r.startswith("pod:"):
                key, _, node = r[4:].partition("@")
                changed[key] = node
        if not changed:
            return {}
        known = self.state.get("pods")
        if dense or known is None:
            node_keys.update(changed.values())
            parts |= self.SUMMARY
            return {}
        chips = {}
        for key, node in changed.items():
            seen = known.get(key)
            if seen is not None and seen[0] == node and node not in node_keys:
                chips[key] = node
            else:
                node_keys.add(node)   # new on this node (just bound) or never rendered: the card
                parts |= self.SUMMARY
        return chips

    def _remember(self, cards, *, names=None, everything=False) -> None:
        """What the page shows of each pod on a card: (node, phase, deleting)."""
        known = {} if everything or self.state.get("pods") is None else self.state["pods"]
        ready = {} if everything else self.state.setdefault("ready", {})
        if names:
            known = {k: v for k, v in known.items() if v[0] not in names}
            for name in names:
                ready.pop(name, None)
        for card in cards:
            if not card.groups and not card.note and card.status == "":
                continue    # a dense tile: nothing remembered per pod
            ready[card.name] = card.ready
            for group in card.groups:
                for chip in group.pods:
                    known[f"{chip.namespace}/{chip.name}"] = (card.name, chip.phase, chip.deleting)
        self.state["pods"] = known
        self.state["ready"] = ready

    def _render_chips(self, chips: dict) -> tuple[str, bool]:
        """The chips of pods whose status changed, each carrying the resourceVersion the frame
        was read at (`data-rv`), and the pod counts of the nodes where a pod's phase or deletion
        changed. Returns the HTML and whether any pod changed more than its status."""
        rv = self.cluster.resource_version   # read before the pods: a lower bound of what the frame shows
        by_name: dict[str, set[str]] = {}
        for key in chips:
            ns, _, name = key.partition("/")
            by_name.setdefault(name, set()).add(ns)
        rows = Pod.objects.filter(cluster=self.cluster, name__in=list(by_name)).values_list(
            "namespace", "name", "metadata", "spec", "status")
        flt = self.filter
        nodes = set(chips.values())
        ready = self.state.setdefault("ready", {})    # as the cards show it (a node's change re-renders its card)
        if not nodes <= ready.keys():
            ready.update(Node.objects.filter(cluster=self.cluster, name__in=nodes).values_list("name", "ready"))
        known = self.state.setdefault("pods", {})
        out, seen, moved = [], set(), set()
        now = self.cluster.sim_now
        for ns, name, meta, spec, status in rows:
            if ns not in by_name[name]:
                continue
            obj = {"kind": "Pod", "metadata": meta, "spec": spec or {}, "status": status or {}}
            chip = p.pod_chip(self.cluster.name, obj, now)
            chip.stale = ready.get(chip.node) not in ("True", True)
            chip.dim = flt.active and not flt.matches(chip, meta.get("labels"))
            chip.fresh = False
            key = f"{ns}/{name}"
            seen.add(key)
            state = (chip.node, chip.phase, chip.deleting)
            if known.get(key) != state:
                moved.add(chip.node)
                moved.add(known.get(key, (chip.node,))[0])
                known[key] = state
            out.append(chip.markup(oob=True, rv=rv))
        gone = set(chips) - seen
        for key in gone:  # deleted meanwhile: the DELETED announcement re-renders the card
            known.pop(key, None)
        if moved:
            for cap in p.node_caps(self.cluster, moved & nodes):
                out.append(p.cap_markup(cap, oob=True, rv=rv))
        return "".join(out), bool(moved or gone)


# --- presenter mode ---------------------------------------------------------------------------------------


class PresenterPage(Page):
    name = "presenter"
    template = "dashboard/presenter.html"
    section = "nodes"
    title = "Presenter"
    regions = ("caption", "counters", "nodes", "notice", "explain")
    STAGE_NODES = 6

    def scenario(self):
        state = scenarios.state_for(self.cluster.name)
        scenario = scenarios.SCENARIOS.get(state.scenario) if state else None
        return state, scenario

    def stage(self) -> dict:
        from controllers import queue

        state, scenario = self.scenario()
        names = list(Node.objects.filter(cluster=self.cluster).order_by("name").values_list("name", flat=True))
        shown = names[: self.STAGE_NODES]
        view = p.cluster_view(self.cluster, p.PodFilter(), parts={"nodes"}, node_names=shown)
        view.dense = False
        step = None
        if scenario and state and 1 <= state.step <= len(scenario.steps):
            step = scenario.steps[state.step - 1]
        focus = scenario.focus if scenario else self._default_focus()
        counters = presenter_counters(self.cluster, focus, state)
        entries = p.explain_entries(self.cluster, limit=30)
        groups = group_by_step(entries, state, scenario)
        upnext = up_next(self.cluster, queue) if self.cluster.paused else None
        return {"view": view, "scenario": scenario, "state": state, "step": step, "counters": counters,
                "explain_groups": groups, "upnext": upnext, "hidden_nodes": max(len(names) - len(shown), 0),
                "dots": [("done" if state and i < state.step else "now" if state and i == state.step else "")
                         for i in range(1, len(scenario.steps) + 1)] if scenario else [],
                "theme": "light" if self.query.get("theme") == "light" else "dark"}

    def _default_focus(self) -> str:
        ds = DaemonSet.objects.filter(cluster=self.cluster).order_by("name").first()
        if ds:
            return f"DaemonSet/{ds.namespace}/{ds.name}"
        job = Job.objects.filter(cluster=self.cluster).order_by("name").first()
        return f"Job/{job.namespace}/{job.name}" if job else ""

    def page_context(self) -> dict:
        ctx = self.stage()
        ctx["presenter"] = True
        return ctx

    def want(self, keys: set[str]) -> set[str]:
        if "reset" in keys:
            return set(self.regions)
        regions = set()
        if keys & {"caption", "notice"}:
            regions |= {"caption", "notice", "counters", "explain"}
        if any(k.startswith(("node:", "nodes", "ds:")) for k in keys) or "nodes" in keys:
            regions.add("nodes")
        if any(k.startswith("owner:") for k in keys) or "owners" in keys:
            regions |= {"counters", "nodes"}
        if "explain" in keys or "clock" in keys:
            regions.add("explain")
        return regions

    def render_page_regions(self, regions: set[str]) -> str:
        if not regions:
            return ""
        ctx = {**self.base(oob=True), **self.stage()}
        return "".join(render_partial(f"{self.template}#{r}", ctx) for r in self.regions if r in regions)


@dataclass
class Counter:
    label: str
    value: str
    delta: str
    changed: bool


def presenter_counters(cluster: Cluster, focus: str, state) -> dict | None:
    if not focus:
        return None
    kind, ns, name = (focus.split("/", 2) + ["", ""])[:3]
    before = {}
    if state is not None:
        before = (state.data or {}).get("counters", {}).get(str(state.step), {})
    if kind == "DaemonSet":
        row = DaemonSet.objects.filter(cluster=cluster, namespace=ns, name=name).first()
        fields = (("DESIRED", "desiredNumberScheduled"), ("CURRENT", "currentNumberScheduled"), ("READY", "numberReady"),
                  ("UP-TO-DATE", "updatedNumberScheduled"), ("AVAILABLE", "numberAvailable"))
        command = "kubectl get ds"
    else:
        row = Job.objects.filter(cluster=cluster, namespace=ns, name=name).first()
        fields = (("ACTIVE", "active"), ("SUCCEEDED", "succeeded"), ("FAILED", "failed"))
        command = "kubectl get job " + name
    status = row.status if row else {}
    items = []
    for label, key in fields:
        value = int(status.get(key) or 0)
        old = int(before.get(key) or 0) if before else value
        delta = value - old
        items.append(Counter(label, str(value), f"{delta:+d}" if delta else "", bool(delta)))
    return {"kind": kind, "name": name, "items": items, "command": command, "exists": row is not None,
            "id": p.dom_id("counters", kind.lower(), ns, name)}


def group_by_step(entries, state, scenario) -> list[dict]:
    """The Explain feed grouped under the scenario step during which each decision was taken."""
    if not scenario or not state:
        return [{"title": "", "entries": entries}]
    marks = sorted(((int(k), v) for k, v in (state.data or {}).get("marks", {}).items()), reverse=True)
    groups: list[dict] = []
    for entry in entries:
        number = next((n for n, first in marks if entry.pk > first), 0)
        title = f"Step {number} · {scenario.steps[number - 1].title}" if number else "Set-up"
        if not groups or groups[-1]["title"] != title:
            groups.append({"title": title, "entries": []})
        groups[-1]["entries"].append(entry)
    return groups


def up_next(cluster: Cluster, queue) -> dict | None:
    """While paused: what the next Step will run, in words."""
    due = queue.next_due(cluster)
    if due is None:
        return None
    batch = queue.due_batch(cluster, due, limit=50)
    words = []
    for item in batch[:4]:
        handler, _, name = item.key.partition(":")
        words.append({"daemonset": f"daemonset-controller reconciles {name.partition('/')[2]}",
                      "job": f"job-controller reconciles {name.partition('/')[2]}",
                      "cronjob": f"cronjob-controller reconciles {name.partition('/')[2]}",
                      "kubelet": f"kubelet moves {name.partition('/')[2]} on",
                      "scheduler": "the scheduler binds pending pods",
                      "nodelifecycle": f"node-lifecycle checks {name}",
                      "podgc": "pod GC looks for orphaned pods",
                      "gc": "the garbage collector removes dependants",
                      "ttl": f"TTL-after-finished checks {name.partition('/')[2]}"}.get(handler, item.key))
    more = len(batch) - len(words)
    return {"when": p.clock_text(due), "words": words, "more": more}


# --- DaemonSet, Job, CronJob pages ---------------------------------------------------------------------------


class ObjectPage(Page):
    """A page about one object: while it does not exist the page says so, and when it appears
    (or goes) the whole page body is sent once, then regions as usual."""

    model = None

    def exists(self) -> bool:
        return self.model.objects.filter(cluster=self.cluster, namespace=self.kwargs["namespace"],
                                         name=self.kwargs["name"]).exists()

    def frame(self, keys: set[str]) -> str:
        exists = self.exists()
        if "*" in keys or exists != self.state.get("exists", exists):
            self.state["exists"] = exists
            ctx = {**self.base(oob=True), **self.page_context()}
            return (render_partial(f"{COMPONENTS}#clock", self.base(oob=True))
                    + render_partial(self.partial("main"), ctx))
        self.state["exists"] = exists
        return super().frame(keys) if exists else (super().frame({"clock"}) if "clock" in keys else "")

    @property
    def title(self):
        return f"{self.kwargs['name']} · {self.model.kind}"

    def want(self, keys: set[str]) -> set[str]:
        """Every region when the object or one it owns changed; its events when an event did."""
        me = f"{self.kwargs['namespace']}/{self.kwargs['name']}"
        if "reset" in keys or f"owner:{self.model.kind}/{me}" in keys:
            return set(self.regions)
        return {"events"} if f"event:{me}" in keys else set()

    def render_page_regions(self, regions: set[str]) -> str:
        if not regions:
            return ""
        ctx = {**self.base(oob=True), **self.page_context()}
        return "".join(render_partial(self.partial(r), ctx) for r in self.regions if r in regions)


class DaemonSetPage(ObjectPage):
    name = "daemonset"
    prefix = "ds"
    model = DaemonSet
    template = "dashboard/daemonset.html"
    section = "workloads"
    regions = ("head", "status", "nodes", "rollout", "history", "events")

    def page_context(self) -> dict:
        return {"ds": w.daemonset_view(self.cluster, self.kwargs["namespace"], self.kwargs["name"])}

    def want(self, keys: set[str]) -> set[str]:
        regions = super().want(keys)
        if any(k.startswith("node:") for k in keys) or "nodes" in keys or "ds-nodes" in keys:
            regions |= {"nodes", "status"}
        return regions


class JobPage(ObjectPage):
    name = "job"
    prefix = "job"
    model = Job
    template = "dashboard/job.html"
    section = "workloads"
    regions = ("head", "status", "indexes", "attempts", "logs", "events")

    def page_context(self) -> dict:
        return {"job": w.job_view(self.cluster, self.kwargs["namespace"], self.kwargs["name"])}


class CronJobPage(ObjectPage):
    name = "cronjob"
    prefix = "cj"
    model = CronJob
    template = "dashboard/cronjob.html"
    section = "workloads"
    regions = ("head", "jobs", "events")

    def page_context(self) -> dict:
        return {"cj": w.cronjob_view(self.cluster, self.kwargs["namespace"], self.kwargs["name"])}


# --- kubectl tables and the event stream ------------------------------------------------------------------------


TABLE_KINDS = ("DaemonSet", "Job", "CronJob", "Pod", "Node")


def tables(cluster: Cluster, kinds=TABLE_KINDS) -> list[p.Table]:
    now = cluster.sim_now
    name = cluster.name
    out = []
    models = {"DaemonSet": DaemonSet, "Job": Job, "CronJob": CronJob, "Pod": Pod, "Node": Node}
    commands = {"DaemonSet": "kubectl get ds", "Job": "kubectl get jobs", "CronJob": "kubectl get cronjobs",
                "Pod": "kubectl get pods -o wide", "Node": "kubectl get nodes"}
    titles = {"DaemonSet": "DaemonSets", "Job": "Jobs", "CronJob": "CronJobs", "Pod": "Pods", "Node": "Nodes"}
    for kind in kinds:
        qs = models[kind].objects.filter(cluster=cluster).order_by("namespace", "name")[:300]
        objs = [o.to_dict() for o in qs]
        link = None
        if kind in ("DaemonSet", "Job", "CronJob"):
            link = (lambda k: lambda o: p.owner_url(name, k, o["metadata"].get("namespace", "default"), o["metadata"]["name"]))(kind)
        elif kind == "Pod":
            link = lambda o: p.pod_url(name, o["metadata"].get("namespace", "default"), o["metadata"]["name"])  # noqa: E731
        elif kind == "Node":
            link = lambda o: reverse("dashboard:node", args=[name, o["metadata"]["name"]])  # noqa: E731
        out.append(p.kubectl_table(cluster, kind, objs, now, command=commands[kind], title=titles[kind],
                                   wide=("Node",) if kind == "Pod" else (), link=link))
    return out


class WorkloadsPage(Page):
    name = "workloads"
    template = "dashboard/workloads.html"
    section = "workloads"
    title = "Workloads"
    regions = tuple(f"table:{k}" for k in TABLE_KINDS)

    def page_context(self) -> dict:
        return {"tables": tables(self.cluster)}

    def want(self, keys: set[str]) -> set[str]:
        if "reset" in keys:
            return set(self.regions)
        return {k for k in keys if k in self.regions}

    def render_page_regions(self, regions: set[str]) -> str:
        kinds = [k for k in TABLE_KINDS if f"table:{k}" in regions]
        if not kinds:
            return ""
        base = self.base(oob=True)
        return "".join(render_partial(f"{COMPONENTS}#kubectl-table", {**base, "table": t}) for t in tables(self.cluster, kinds))


class EventsPage(Page):
    name = "events"
    template = "dashboard/events.html"
    section = "events"
    title = "Events"
    regions = ("events", "explain")

    def events_table(self) -> p.Table:
        return p.events_table(self.cluster, p.events_for(self.cluster, limit=200), self.cluster.sim_now,
                              command="kubectl get events --sort-by=.lastTimestamp")

    def page_context(self) -> dict:
        return {"table": self.events_table(), "explain": p.explain_entries(self.cluster, limit=200),
                "explain_total": p.explain_total(self.cluster)}

    def want(self, keys: set[str]) -> set[str]:
        if "reset" in keys:
            return set(self.regions)
        return {k for k in keys if k in self.regions}

    def render_page_regions(self, regions: set[str]) -> str:
        out = []
        base = self.base(oob=True)
        if "events" in regions:
            out.append(render_partial(f"{COMPONENTS}#kubectl-table", {**base, "table": self.events_table()}))
        if "explain" in regions:
            out.append(render_partial(f"{COMPONENTS}#explain-feed", {**base, "explain": p.explain_entries(self.cluster, limit=200)}))
        return "".join(out)


class BarePage(Page):
    """Pages without live regions of their own (scenarios, dialogs shown as pages): the clock ticks."""

    name = "page"

    def want(self, keys: set[str]) -> set[str]:
        return set()


PAGES: dict[str, type[Page]] = {cls.name: cls for cls in (ClusterPage, PresenterPage, DaemonSetPage, JobPage, CronJobPage,
                                                         WorkloadsPage, EventsPage)}
PAGES.update({name: BarePage for name in ("scenarios", "pod", "node", "yaml", "apply", "add_node")})
