"""Presenters for the DaemonSet, Job and CronJob pages (templates only display what is here)."""
from __future__ import annotations

import json
import math
import shlex
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.urls import reverse

from cluster import printers
from cluster.models import ControllerRevision, CronJob, DaemonSet, Job, Node, Pod
from cluster.timeutil import parse_time
from dashboard.presenters import (
    Ghost, PodChip, Segment, Table, clock_cell, clock_text, dom_id, ds_ghost, events_for, events_table, iso, kubectl_table,
    ns_flag, owner_url, phase_class, pod_chip, seconds_text,
)

CONTROLLER_REVISION_HASH = "controller-revision-hash"


# --- DaemonSet ----------------------------------------------------------------------------------------


@dataclass
class Stat:
    label: str
    value: str
    small: str = ""
    css: str = ""


@dataclass
class NodeRow:
    node: str
    node_url: str
    node_status: str
    pod: PodChip | None
    ghost: Ghost | None
    revision: str
    up_to_date: bool
    verdict: str
    reason: str
    pods: list = field(default_factory=list)   # every pod of the DaemonSet on the node (a surge has two)

    @property
    def id(self) -> str:
        return dom_id("dsnode", self.node)


@dataclass
class RevisionRow:
    number: int
    name: str
    hash: str
    images: str
    age: str
    pods: int
    current: bool
    rollback_cmd: str


@dataclass
class RolloutPart:
    revision: str
    pods: int
    percent: float
    current: bool


@dataclass
class DaemonSetView:
    cluster_name: str
    name: str
    namespace: str
    url: str
    exists: bool
    spec_chips: list[tuple[str, str]]
    stats: list[Stat]
    rows: list[NodeRow]
    revisions: list[RevisionRow]
    rollout: list[RolloutPart]
    rollout_text: str
    events: Table | None
    image: str
    container: str
    node_selector: str
    commands: dict[str, str]
    yaml: str

    @property
    def ids(self) -> dict[str, str]:
        base = dom_id("ds", self.namespace, self.name)
        return {k: f"{base}-{k}" for k in ("head", "status", "nodes", "rollout", "history", "events")}


def daemonset_view(cluster, namespace: str, name: str) -> DaemonSetView:
    from controllers.models import ControllerMemory

    now = cluster.sim_now
    row = DaemonSet.objects.filter(cluster=cluster, namespace=namespace, name=name).first()
    url = owner_url(cluster.name, "DaemonSet", namespace, name)
    commands = {
        "get": f"kubectl get ds {name}{ns_flag(namespace)}",
        "yaml": f"kubectl get ds {name}{ns_flag(namespace)} -o yaml",
        "delete": f"kubectl delete ds {name}{ns_flag(namespace)}",
        "events": f"kubectl events --for ds/{name}{ns_flag(namespace)}",
        "history": f"kubectl rollout history ds/{name}{ns_flag(namespace)}",
    }
    if row is None:
        return DaemonSetView(cluster.name, name, namespace, url, False, [], [], [], [], [], "", None, "", "", "", commands, "")
    ds = row.to_dict()
    spec, status = ds.get("spec") or {}, ds.get("status") or {}
    template_spec = (spec.get("template") or {}).get("spec") or {}
    containers = template_spec.get("containers") or []
    image = containers[0].get("image", "") if containers else ""
    container = containers[0].get("name", "") if containers else ""
    selector = printers.format_label_selector(spec.get("selector"))
    node_selector = ",".join(f"{k}={v}" for k, v in (template_spec.get("nodeSelector") or {}).items())
    strategy = spec.get("updateStrategy") or {}
    rolling = strategy.get("rollingUpdate") or {}
    strategy_text = strategy.get("type", "RollingUpdate")
    if strategy_text == "RollingUpdate":
        strategy_text += f" maxUnavailable {rolling.get('maxUnavailable', 1)} · maxSurge {rolling.get('maxSurge', 0)}"
    chips = [("selector", selector), ("image", ", ".join(c.get("image", "") for c in containers)),
             ("nodeSelector", node_selector or "<none>"), ("updateStrategy", strategy_text)]
    if template_spec.get("tolerations"):
        chips.append(("tolerations", ", ".join(
            f"{t.get('key', '*')}{'=' + t['value'] if t.get('value') else ''}:{t.get('effect', '*')}" for t in template_spec["tolerations"])))
    stats = [
        Stat("Desired", str(status.get("desiredNumberScheduled", 0))),
        Stat("Current", str(status.get("currentNumberScheduled", 0))),
        Stat("Ready", str(status.get("numberReady", 0))),
        Stat("Up-to-date", str(status.get("updatedNumberScheduled", 0))),
        Stat("Available", str(status.get("numberAvailable", 0))),
        Stat("Misscheduled", str(status.get("numberMisscheduled", 0)), css="fail" if status.get("numberMisscheduled") else ""),
    ]
    memory = ControllerMemory.objects.filter(cluster=cluster, controller="daemonset", owner_uid=row.uid).first()
    memory = memory.data if memory else {}
    revisions = sorted((r.to_dict() for r in ControllerRevision.objects.filter(cluster=cluster, owner_uid=row.uid)),
                       key=lambda r: -int(r.get("revision") or 0))
    hash_to_rev = {(r["metadata"].get("labels") or {}).get(CONTROLLER_REVISION_HASH, ""): str(r.get("revision")) for r in revisions}
    current_rev = next((r for r in revisions if _revision_template(r) == (spec.get("template") or {})), None)
    current_hash = (current_rev["metadata"].get("labels") or {}).get(CONTROLLER_REVISION_HASH, "") if current_rev else ""
    pods = [p.to_dict() for p in Pod.objects.filter(cluster=cluster, owner_uid=row.uid).order_by("name")]
    by_node: dict[str, list[dict]] = {}
    for p in pods:
        by_node.setdefault((p.get("spec") or {}).get("nodeName") or "", []).append(p)
    rows = []
    for node_row in Node.objects.filter(cluster=cluster).order_by("name"):
        node = node_row.to_dict()
        node_pods = [p for p in by_node.get(node_row.name, []) if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]
        shown = node_pods[0] if node_pods else (by_node.get(node_row.name) or [None])[0]
        chip = pod_chip(cluster.name, shown, now) if shown else None
        ghost = ds_ghost(ds, node, memory, now, bool(node_pods) and chip is not None and chip.status != "Terminating")
        pod_hash = ((shown or {}).get("metadata", {}).get("labels") or {}).get(CONTROLLER_REVISION_HASH, "")
        verdict = (memory.get("nodes") or {}).get(node_row.name) or {}
        reason = verdict.get("message", "")
        if reason.startswith(node_row.name + ": "):
            reason = reason[len(node_row.name) + 2:]
        for v in ("create", "keep", "delete-extra", "delete", "skip", "wait", "update", "surge"):
            if reason.endswith(": " + v):
                reason = reason[: -len(v) - 2]
        if not verdict:
            reason = ghost.text + (f" · {ghost.detail}" if ghost and ghost.detail else "") if ghost else "not looked at yet"
        all_pods = sorted(by_node.get(node_row.name, []), key=lambda o: o["metadata"].get("creationTimestamp", ""))
        revs = []
        for o in all_pods:
            h = (o["metadata"].get("labels") or {}).get(CONTROLLER_REVISION_HASH, "")
            revs.append(hash_to_rev.get(h, "?") + (" ✓" if h == current_hash else ""))
        rows.append(NodeRow(
            node=node_row.name, node_url=reverse("dashboard:node", args=[cluster.name, node_row.name]),
            node_status=printers.row_cells(node, now)[1], pod=chip, ghost=ghost,
            revision=" · ".join(revs), up_to_date=bool(shown and pod_hash == current_hash),
            verdict=verdict.get("verdict", "-"), reason=reason,
            pods=[pod_chip(cluster.name, o, now) for o in all_pods],
        ))
    live = [p for p in pods if not (p.get("metadata") or {}).get("deletionTimestamp")]
    counts: dict[str, int] = {}
    for p in live:
        counts[(p["metadata"].get("labels") or {}).get(CONTROLLER_REVISION_HASH, "")] = counts.get(
            (p["metadata"].get("labels") or {}).get(CONTROLLER_REVISION_HASH, ""), 0) + 1
    total = max(sum(counts.values()), 1)
    rollout = [RolloutPart(f"rev {hash_to_rev.get(h, '?')}", n, round(100 * n / total, 2), h == current_hash)
               for h, n in sorted(counts.items(), key=lambda kv: (kv[0] != current_hash, kv[0]))]
    desired = int(status.get("desiredNumberScheduled", 0))
    updated = int(status.get("updatedNumberScheduled", 0))
    if current_rev:
        rollout_text = (f"revision {current_rev.get('revision')} on {updated} of {desired} node(s)"
                        + (" · rollout complete" if updated >= desired and status.get("numberAvailable", 0) >= desired else " · rolling out"))
    else:
        rollout_text = "no revision yet"
    rev_rows = []
    for r in revisions:
        h = (r["metadata"].get("labels") or {}).get(CONTROLLER_REVISION_HASH, "")
        tmpl = _revision_template(r)
        images = ", ".join(c.get("image", "") for c in ((tmpl.get("spec") or {}).get("containers") or []))
        rev_rows.append(RevisionRow(
            number=int(r.get("revision") or 0), name=r["metadata"]["name"], hash=h, images=images,
            age=clock_cell(printers.row_template(r)[-1], now),
            pods=counts.get(h, 0), current=(h == current_hash),
            rollback_cmd=f"kubectl rollout undo ds/{name} --to-revision={r.get('revision')}{ns_flag(namespace)}",
        ))
    events = events_table(cluster, events_for(cluster, kind="DaemonSet", name=name, namespace=namespace), now,
                          command=commands["events"])
    commands["image"] = f"kubectl set image ds/{name} {container}={image or 'IMAGE'}{ns_flag(namespace)}"
    commands["selector"] = ("kubectl patch ds " + name + ns_flag(namespace) + " -p " + shlex.quote(json.dumps(
        {"spec": {"template": {"spec": {"nodeSelector": dict(kv.split("=", 1) for kv in node_selector.split(",") if "=" in kv) or None}}}},
        separators=(",", ":"))))
    return DaemonSetView(cluster.name, name, namespace, url, True, chips, stats, rows, rev_rows, rollout, rollout_text,
                         events, image, container, node_selector, commands, "")


def _revision_template(revision: dict) -> dict:
    template = dict(((revision.get("data") or {}).get("spec") or {}).get("template") or {})
    template.pop("$patch", None)
    return template


# --- Job -------------------------------------------------------------------------------------------------


@dataclass
class Attempt:
    n: int
    pod: str
    node: str
    index: int | None
    created: datetime | None
    run_start: datetime | None
    finished: datetime | None
    exit_code: int | None
    reason: str
    phase: str
    restarts: int
    backoff_before: float | None
    gone: bool
    status_word: str = ""
    css: str = ""


def _t(value) -> datetime | None:
    if not value:
        return None
    try:
        return parse_time(value)
    except (TypeError, ValueError):
        return None


def _from_history(entry: dict) -> dict:
    """One attempt record of the Job controller's history (`JobAttempt.data`), whatever its key style."""
    def pick(*keys):
        for k in keys:
            if k in entry and entry[k] is not None:
                return entry[k]
        return None

    exit_code = pick("exit_code", "exitCode")
    finished = _t(pick("finished"))
    phase = pick("phase") or ("Failed" if exit_code not in (None, 0) else "Succeeded" if finished else "Running")
    return {
        "pod": entry.get("pod", ""), "index": pick("index"), "node": pick("node") or "",
        "created": _t(pick("created")), "run_start": _t(pick("started")), "finished": finished,
        "exit_code": exit_code, "reason": pick("reason") or "", "phase": phase,
        "restarts": int(pick("restarts") or 0), "backoff_before": pick("backoff_before", "backoffSeconds"),
        "gone": bool(pick("gone")),
    }


def _from_pod(pod: dict) -> dict:
    meta, status = pod["metadata"], pod.get("status") or {}
    run_start = finished = None
    exit_code, reason = None, ""
    for cs in status.get("containerStatuses") or []:
        state = cs.get("state") or {}
        if state.get("running"):
            run_start = _t(state["running"].get("startedAt")) or run_start
        term = state.get("terminated")
        if term:
            run_start = _t(term.get("startedAt")) or run_start
            finished = _t(term.get("finishedAt")) or finished
            if exit_code in (None, 0):
                exit_code = term.get("exitCode")
                reason = term.get("reason") or reason
    index = (meta.get("annotations") or {}).get("batch.kubernetes.io/job-completion-index")
    return {
        "pod": meta["name"], "index": int(index) if index not in (None, "") and str(index).isdigit() else None,
        "node": (pod.get("spec") or {}).get("nodeName") or "", "created": _t(meta.get("creationTimestamp")),
        "run_start": run_start, "finished": finished if status.get("phase") in ("Succeeded", "Failed") else None,
        "exit_code": exit_code, "reason": reason or status.get("reason") or "", "phase": status.get("phase", "Pending"),
        "restarts": sum(c.get("restartCount", 0) for c in status.get("containerStatuses") or []), "gone": False,
    }


def job_attempts(history: list[dict], pods: list[dict], now: datetime) -> list[Attempt]:
    """The Job's pod attempts, oldest first: the controller's history (deleted pods included),
    then what the live pods say (fresher). Without history, only the pods that still exist are known."""
    merged: dict[str, dict] = {}
    for entry in history:
        if isinstance(entry, dict) and entry.get("pod"):
            merged[entry["pod"]] = _from_history(entry)
    live = {p["metadata"]["name"]: p for p in pods}
    for name, rec in merged.items():
        if name not in live:
            rec["gone"] = True
    for name, pod in live.items():
        fresh = _from_pod(pod)
        if name in merged:
            keep_backoff = merged[name].get("backoff_before")
            merged[name].update({k: v for k, v in fresh.items() if v not in (None, "")})
            merged[name]["backoff_before"] = keep_backoff
        else:
            fresh["backoff_before"] = None
            merged[name] = fresh
    ordered = sorted(merged.values(), key=lambda a: (a["created"] or now, a["pod"]))
    out = []
    for i, a in enumerate(ordered, 1):
        if a["phase"] == "Failed":
            word, css = (a["reason"] or "Error"), "is-failed"
        elif a["phase"] == "Succeeded":
            word, css = "Completed", "is-succeeded"
        elif a["phase"] == "Running":
            word, css = "Running", "is-running"
        else:
            word, css = a["phase"] or "Pending", "is-pending"
        if a["pod"] in live:
            cells = printers.row_cells(live[a["pod"]], now)
            word, css = cells[2], phase_class(cells[2], a["phase"])
        out.append(Attempt(n=i, pod=a["pod"], node=a["node"], index=a["index"], created=a["created"],
                           run_start=a["run_start"], finished=a["finished"], exit_code=a["exit_code"],
                           reason=a["reason"], phase=a["phase"], restarts=a["restarts"],
                           backoff_before=a["backoff_before"], gone=a["gone"], status_word=word, css=css))
    return out


@dataclass
class TlRow:
    n: str
    label: str
    sub: str
    kind: str                 # "attempt", "waiting", "projected"
    bar: dict | None          # {"t0", "t1", "pull", "run", "css", "grow"}
    exit: dict | None         # {"t", "css", "code"}
    gap: dict | None          # {"t0", "t1", "label", "live", "from", "to"}
    link: float | None
    countdown: dict | None    # {"t", "due", "seconds"}
    result: str
    result_css: str
    failed: str
    limit_after: bool = False
    id: str = ""


@dataclass
class Timeline:
    span: float
    axis_start: str           # ISO sim time of t=0 (client moves "now" from it)
    ticks: list[dict]         # {"t", "label"}
    rows: list[TlRow]
    now_t: float
    now_label: str
    end_mark: dict | None     # {"t", "label", "projected"}
    limit_label: str
    limit_note: str
    explain_title: str
    explain: list[Segment]
    explain_icon: str
    empty: bool

    @property
    def finished(self) -> bool:
        """Complete or Failed: the end marker carries the label (the `now` marker, which starts
        where it is, shows none: its label would cover "Complete 00:01:49")."""
        return bool(self.end_mark) and not self.end_mark.get("projected")


NICE_STEPS = (5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)


def _program_seconds(job: dict) -> float:
    from controllers.kubelet import PULL_SECONDS, START_SECONDS
    from controllers.programs import read_container

    template = (job.get("spec") or {}).get("template") or {}
    annotations = (template.get("metadata") or {}).get("annotations") or {}
    longest = 0.0
    for c in (template.get("spec") or {}).get("containers") or []:
        program = read_container(c, annotations)
        longest = max(longest, program.seconds if program.seconds is not None else 60.0)
    return PULL_SECONDS + START_SECONDS + longest


def build_timeline(job: dict, attempts: list[Attempt], now: datetime, memory: dict) -> Timeline:
    from controllers.job_plan import backoff_delay

    spec, status = job.get("spec") or {}, job.get("status") or {}
    limit = int(spec.get("backoffLimit", 6))
    never = ((spec.get("template") or {}).get("spec") or {}).get("restartPolicy", "Never") == "Never"
    sequential = int(spec.get("parallelism", 1) or 1) == 1 and spec.get("completionMode") != "Indexed" \
        and int(spec.get("completions", 1) or 1) == 1
    conditions = {c.get("type"): c for c in status.get("conditions") or [] if c.get("status") == "True"}
    finished_cond = conditions.get("Failed") or conditions.get("Complete")
    start = _t(status.get("startTime")) or _t(job["metadata"].get("creationTimestamp")) or now
    if attempts and attempts[0].created and attempts[0].created < start:
        start = attempts[0].created
    est = _program_seconds(job)

    # what the future may hold (sequential Jobs): the worst case, so the axis never rescales
    projected_end = start
    for a in attempts:
        end = a.finished or ((a.run_start or a.created or now) + timedelta(seconds=est))
        projected_end = max(projected_end, end)
    failures = sum(1 for a in attempts if a.phase == "Failed")
    waiting_due = None
    if not finished_cond and not spec.get("suspend"):
        from dashboard.presenters import _job_backoff

        waiting_due, _ = _job_backoff(job, memory, [], now) if (memory.get("backoff") or {}).get("lastFailureTime") else (None, 0)
        if waiting_due is None and attempts and all(a.finished for a in attempts) and attempts[-1].phase == "Failed":
            due = attempts[-1].finished + backoff_delay(failures)
            waiting_due = due if due > now else None
    projections: list[tuple[float, float, float]] = []   # (gap_from, created, end) in datetimes as seconds
    if sequential and never and not finished_cond and attempts:
        total_rows = min(limit + 1, len(attempts) + (1 if waiting_due else 0) + 4)
        cursor = projected_end
        if waiting_due:
            cursor = waiting_due + timedelta(seconds=est)
        k = len(attempts) + (1 if waiting_due else 0)
        while k < total_rows:
            gap = backoff_delay(k).total_seconds()
            created = cursor + timedelta(seconds=gap)
            end = created + timedelta(seconds=est)
            projections.append(((cursor - start).total_seconds(), (created - start).total_seconds(), (end - start).total_seconds()))
            cursor = end
            k += 1
        projected_end = max(projected_end, cursor)
    if waiting_due:
        projected_end = max(projected_end, waiting_due + timedelta(seconds=est))
    end_at = max(projected_end, _t((finished_cond or {}).get("lastTransitionTime")) or start)
    raw_span = max((end_at - start).total_seconds(), 30.0)
    step = next((s for s in NICE_STEPS if raw_span / s <= 8), NICE_STEPS[-1])
    axis0 = start - timedelta(seconds=start.second % step if step < 60 else (start.minute * 60 + start.second) % step)
    span = (end_at - axis0).total_seconds()
    span = math.ceil(span * 1.08 / step) * step if span > 0 else step
    if finished_cond:
        span = max(span, math.ceil(((_t(finished_cond.get("lastTransitionTime")) or now) - axis0).total_seconds() * 1.15 / step) * step)

    def t(moment: datetime | None) -> float:
        return round(((moment or now) - axis0).total_seconds(), 2)

    rows: list[TlRow] = []
    fails = 0
    last_failure: datetime | None = None
    for a in attempts:
        created = a.created or now
        gap = link = None
        if last_failure and created >= last_failure:
            seconds = a.backoff_before if a.backoff_before is not None else (created - last_failure).total_seconds()
            if seconds and seconds >= 0.5:
                gap = {"t0": t(last_failure), "t1": t(created), "label": f"{seconds:g} s", "live": False}
                link = t(last_failure)
        run_start = a.run_start
        end = a.finished
        grow = end is None
        bar_end = end or now
        pull = max(((run_start or bar_end) - created).total_seconds(), 0.0)
        run = max((bar_end - (run_start or bar_end)).total_seconds(), 0.0)
        bar = {"t0": t(created), "t1": t(bar_end), "pull": round(pull, 2), "run": round(run, 2), "css": "", "grow": grow and not a.gone}
        exit_mark = None
        if a.phase == "Failed":
            fails += 1
            exit_mark = {"t": t(end), "css": "is-failed", "code": f"exit {a.exit_code}" if a.exit_code is not None else a.status_word}
            last_failure = end or created
        elif a.phase == "Succeeded":
            exit_mark = {"t": t(end), "css": "is-succeeded", "code": "exit 0"}
            last_failure = None
        where = f"{a.node or 'not scheduled'} · created {clock_text(created)}"
        if a.index is not None:
            where = f"index {a.index} · " + where
        if a.gone:
            where += " · deleted"
        rows.append(TlRow(str(a.n), a.pod, where, "attempt", bar, exit_mark, gap, link, None,
                          a.status_word, a.css, str(fails), id=dom_id("attempt", a.pod)))
    if waiting_due:
        est_end = waiting_due + timedelta(seconds=est)
        left = (waiting_due - now).total_seconds()
        rows.append(TlRow(
            str(len(attempts) + 1), "next pod", f"not created yet · due {clock_text(waiting_due)}", "waiting",
            {"t0": t(waiting_due), "t1": t(est_end), "pull": 0, "run": 0, "css": "is-ghost", "grow": False},
            None,
            {"t0": t(last_failure or now), "t1": t(waiting_due), "label": f"{backoff_delay(failures).total_seconds():g} s",
             "live": True, "from": iso(last_failure or now), "to": iso(waiting_due)},
            t(last_failure) if last_failure else None,
            {"t": t(est_end), "due": iso(waiting_due), "seconds": seconds_text(left)},
            "waiting", "lg-ghost", str(fails), id="attempt-next"))
    for i, (g0, c, e) in enumerate(projections):
        number = len(rows) + 1
        rows.append(TlRow(str(number), f"only if #{number - 1} fails", "", "projected",
                          {"t0": round(c + (start - axis0).total_seconds(), 2), "t1": round(e + (start - axis0).total_seconds(), 2),
                           "pull": 0, "run": 0, "css": "is-projected", "grow": False},
                          None,
                          {"t0": round(g0 + (start - axis0).total_seconds(), 2), "t1": round(c + (start - axis0).total_seconds(), 2),
                           "label": f"{backoff_delay(number - 1).total_seconds():g} s", "live": False},
                          None, None, "—", "muted", "", id=f"attempt-proj-{number}"))
    if never and not spec.get("backoffLimitPerIndex") and len(rows) > limit:
        rows[limit - 1].limit_after = True if limit >= 1 else False
    end_mark = None
    if finished_cond:
        kind = "Failed" if "Failed" in conditions else "Complete"
        end_mark = {"t": t(_t(finished_cond.get("lastTransitionTime"))), "label": f"{kind} {clock_text(_t(finished_cond.get('lastTransitionTime')) or now)}",
                    "projected": False, "css": "is-end" if kind == "Failed" else "is-end is-ok"}
    elif projections and never and sequential:
        last_end = projections[-1][2] + (start - axis0).total_seconds()
        if len(attempts) + (1 if waiting_due else 0) + len(projections) >= limit + 1:
            end_mark = {"t": round(last_end, 2), "label": f"if all fail: Failed ≈{clock_text(axis0 + timedelta(seconds=last_end))}",
                        "projected": True, "css": "is-end is-projected"}
    ticks = [{"t": s, "label": clock_text(axis0 + timedelta(seconds=s))} for s in range(0, int(span) + 1, step)]
    title, words, icon = job_story(job, attempts, now, waiting_due, failures, limit, never)
    return Timeline(span=span, axis_start=iso(axis0), ticks=ticks, rows=rows, now_t=min(t(now), span),
                    now_label=f"now {clock_text(now)}", end_mark=end_mark, limit_label=f"backoffLimit {limit}",
                    limit_note=f"failed > {limit} → Job fails", explain_title=title,
                    explain=[Segment(words)], explain_icon=icon, empty=not attempts)


def job_story(job, attempts, now, waiting_due, failures, limit, never) -> tuple[str, str, str]:
    """The one plain-language line under the chart."""
    from controllers.job_plan import backoff_delay

    status = job.get("status") or {}
    conditions = {c.get("type"): c for c in status.get("conditions") or [] if c.get("status") == "True"}
    policy = "restartPolicy: Never" if never else "restartPolicy: OnFailure"
    if "Failed" in conditions:
        c = conditions["Failed"]
        when = clock_text(_t(c.get("lastTransitionTime")) or now)
        if c.get("reason") == "BackoffLimitExceeded":
            return ("Why it stopped:", f"with {policy} every failed pod counts once. Failure {status.get('failed', failures)} made "
                    f"failed {status.get('failed', failures)} > backoffLimit {limit}, so job-controller set FailureTarget, then "
                    f"Failed (BackoffLimitExceeded) at {when}. No more pods will be created.", "i-ban")
        return ("Why it stopped:", f"{c.get('reason', 'Failed')}: {c.get('message', '')} (at {when}).", "i-ban")
    if "Complete" in conditions:
        c = conditions["Complete"]
        return ("Done:", f"{status.get('succeeded', 0)} pod(s) succeeded, so job-controller set SuccessCriteriaMet, then "
                f"Complete at {clock_text(_t(c.get('lastTransitionTime')) or now)}.", "is-succeeded")
    if (job.get("spec") or {}).get("suspend"):
        return ("Suspended:", "spec.suspend is true, so job-controller deletes active pods and creates none until it is resumed.", "i-pause")
    if waiting_due:
        last = next((a for a in reversed(attempts) if a.phase == "Failed"), None)
        delay = backoff_delay(failures).total_seconds()
        factor = f"10 s × {int(delay // 10)} = {delay:g} s" if delay > 10 else "10 s"
        name = last.pod if last else "the last pod"
        at = clock_text(last.finished) if last and last.finished else "?"
        return ("Why nothing is running:", f"{name} failed at {at}, failure {failures} of the {limit} allowed. job-controller "
                f"waits {factor} after the last failure, so it creates the next pod at {clock_text(waiting_due)}.", "is-pending")
    active = int(status.get("active") or 0)
    if active:
        return ("Running:", f"{active} pod(s) active, {status.get('succeeded', 0)} succeeded, {status.get('failed', 0)} failed "
                f"(backoffLimit {limit}).", "is-running")
    return ("Waiting:", "job-controller has not created a pod yet.", "is-pending")


@dataclass
class LogTab:
    n: int
    pod: str
    selected: bool
    lines: list[str]
    note: str
    state: list[tuple[str, str, bool]]   # (label, value, emphasised)
    command: str
    container: str
    image: str


@dataclass
class IndexCell:
    index: int
    css: str
    word: str


@dataclass
class JobView:
    cluster_name: str
    name: str
    namespace: str
    url: str
    exists: bool
    status_word: str
    status_css: str
    reason: str
    badge: str
    spec_chips: list[tuple[str, str]]
    stats: list[Stat]
    conditions: list[dict]
    condition_message: str
    timeline: Timeline | None
    logs: list[LogTab]
    events: Table | None
    index_grid: list[IndexCell]
    suspended: bool
    finished: bool
    commands: dict[str, str]
    owner: dict | None
    waiting_due: str = ""
    waiting_seconds: str = ""

    @property
    def ids(self) -> dict[str, str]:
        base = dom_id("job", self.namespace, self.name)
        return {k: f"{base}-{k}" for k in ("head", "status", "attempts", "logs", "events", "indexes")}


def _logs(job: dict, attempts: list[Attempt], pods: dict[str, dict], now: datetime, namespace: str) -> list[LogTab]:
    from controllers.programs import read_container

    template = (job.get("spec") or {}).get("template") or {}
    annotations = (template.get("metadata") or {}).get("annotations") or {}
    containers = (template.get("spec") or {}).get("containers") or []
    tabs = []
    for a in attempts[-8:]:
        container = containers[0] if containers else {}
        program = read_container(container, annotations) if container else None
        lines: list[str] = []
        note = ""
        if a.run_start and program is not None:
            elapsed = ((a.finished or now) - a.run_start).total_seconds()
            lines = program.log_until(elapsed)
        if not lines:
            command = " ".join(container.get("command") or []) + " " + " ".join(container.get("args") or [])
            note = f"(no output{': `' + command.strip() + '` prints nothing' if command.strip() else ''})" if a.run_start else "(not started yet)"
        if a.gone:
            note = (note + " " if note else "") + "· pod deleted: kubectl logs would now answer NotFound"
        state = []
        if a.finished:
            failed = a.phase == "Failed"
            state = [("State:", "Terminated", False), ("Reason:", a.reason or ("Error" if failed else "Completed"), failed),
                     ("Exit Code:", str(a.exit_code if a.exit_code is not None else "?"), failed),
                     ("Started:", clock_text(a.run_start) if a.run_start else "-", False),
                     ("Finished:", clock_text(a.finished), False)]
        elif a.run_start:
            state = [("State:", "Running", False), ("Started:", clock_text(a.run_start), False)]
        else:
            state = [("State:", "Waiting", False), ("Reason:", "ContainerCreating" if a.node else "Pending", False)]
        tabs.append(LogTab(a.n, a.pod, False, lines, note, state, f"kubectl logs {a.pod}{ns_flag(namespace)}",
                           container.get("name", ""), container.get("image", "")))
    if tabs:
        tabs[-1].selected = True
    return tabs


def job_view(cluster, namespace: str, name: str) -> JobView:
    from controllers.job_plan import parse_indexes_from_string
    from controllers.models import ControllerMemory, JobAttempt

    now = cluster.sim_now
    url = owner_url(cluster.name, "Job", namespace, name)
    commands = {
        "yaml": f"kubectl get job {name}{ns_flag(namespace)} -o yaml",
        "delete": f"kubectl delete job {name}{ns_flag(namespace)}",
        "suspend": f"kubectl patch job {name}{ns_flag(namespace)} --type=merge -p '{{\"spec\":{{\"suspend\":true}}}}'",
        "resume": f"kubectl patch job {name}{ns_flag(namespace)} --type=merge -p '{{\"spec\":{{\"suspend\":false}}}}'",
        "events": f"kubectl events --for job/{name}{ns_flag(namespace)}",
    }
    row = Job.objects.filter(cluster=cluster, namespace=namespace, name=name).first()
    if row is None:
        return JobView(cluster.name, name, namespace, url, False, "", "", "", "", [], [], [], "", None, [], None, [],
                       False, False, commands, None)
    job = row.to_dict()
    spec, status = job.get("spec") or {}, job.get("status") or {}
    memory = ControllerMemory.objects.filter(cluster=cluster, controller="job", owner_uid=row.uid).first()
    memory = memory.data if memory else {}
    pod_rows = {p.name: p.to_dict() for p in Pod.objects.filter(cluster=cluster, owner_uid=row.uid)}
    history = list(JobAttempt.objects.filter(cluster=cluster, job_uid=row.uid).values_list("data", flat=True))
    attempts = job_attempts(history, list(pod_rows.values()), now)
    cells = printers.row_cells(job, now)
    status_word = cells[1]
    conditions_true = {c.get("type"): c for c in status.get("conditions") or [] if c.get("status") == "True"}
    finished = "Complete" in conditions_true or "Failed" in conditions_true
    status_css = {"Failed": "is-failed", "Complete": "is-succeeded", "Running": "is-running",
                  "Suspended": "is-pending", "FailureTarget": "is-failed", "SuccessCriteriaMet": "is-succeeded"}.get(status_word, "is-pending")
    reason = (conditions_true.get("Failed") or conditions_true.get("Complete") or {}).get("reason", "")
    template_spec = (spec.get("template") or {}).get("spec") or {}
    containers = template_spec.get("containers") or []
    command = " ".join(shlex.quote(w) if " " in w else w for c in containers[:1] for w in (c.get("command") or []) + (c.get("args") or []))
    chips = [("image", ", ".join(c.get("image", "") for c in containers))]
    if command:
        chips.append(("command", command))
    chips += [("restartPolicy", template_spec.get("restartPolicy", "")), ("backoffLimit", str(spec.get("backoffLimit", 6))),
              ("completions", str(spec.get("completions", "-"))), ("parallelism", str(spec.get("parallelism", 1)))]
    if spec.get("completionMode") == "Indexed":
        chips.append(("completionMode", "Indexed"))
    if spec.get("activeDeadlineSeconds"):
        chips.append(("activeDeadlineSeconds", str(spec["activeDeadlineSeconds"])))
    if spec.get("suspend"):
        chips.append(("suspend", "true"))
    limit = int(spec.get("backoffLimit", 6))
    stats = [
        Stat("Status", status_word, css="word " + ("fail" if status_word == "Failed" else "")),
        Stat("Completions", str(status.get("succeeded", 0)), small=f"/{spec.get('completions', '-')}"),
        Stat("Active", str(status.get("active", 0))),
        Stat("Succeeded", str(status.get("succeeded", 0))),
        Stat("Failed", str(status.get("failed", 0)), small=f" / limit {limit}", css="fail" if status.get("failed") else ""),
        Stat("Duration", clock_cell(printers.row_template(job)[3], now), css="word"),
    ]
    conditions = [{"type": c.get("type"), "status": c.get("status"), "reason": c.get("reason", ""),
                   "time": clock_text(_t(c.get("lastTransitionTime")) or now), "warn": c.get("type") in ("Failed", "FailureTarget")}
                  for c in status.get("conditions") or []]
    message = next((c.get("message", "") for c in status.get("conditions") or [] if c.get("status") == "True" and c.get("message")), "")
    timeline = build_timeline(job, attempts, now, memory)
    waiting = next((r for r in timeline.rows if r.kind == "waiting"), None)
    badge = ""
    index_grid = []
    if spec.get("completionMode") == "Indexed" and spec.get("completions"):
        n = int(spec["completions"])
        done = parse_indexes_from_string(status.get("completedIndexes"), n)
        failed_idx = parse_indexes_from_string(status.get("failedIndexes"), n) if status.get("failedIndexes") else set()
        running = {a.index for a in attempts if a.index is not None and a.phase in ("Running", "Pending") and not a.gone}
        for i in range(min(n, 400)):
            if i in done:
                index_grid.append(IndexCell(i, "is-succeeded", "Completed"))
            elif i in failed_idx:
                index_grid.append(IndexCell(i, "is-failed", "Failed"))
            elif i in running:
                index_grid.append(IndexCell(i, "is-running", "Running"))
            else:
                index_grid.append(IndexCell(i, "is-waiting", "not started"))
    owner = None
    if row.owner_kind == "CronJob":
        owner = {"kind": "CronJob", "name": row.owner_name, "url": owner_url(cluster.name, "CronJob", namespace, row.owner_name)}
    view = JobView(cluster.name, name, namespace, url, True, status_word, status_css, reason, badge, chips, stats,
                   conditions, message, timeline, _logs(job, attempts, pod_rows, now, namespace),
                   events_table(cluster, events_for(cluster, kind="Job", name=name, namespace=namespace), now, command=commands["events"]),
                   index_grid, bool(spec.get("suspend")), finished, commands, owner)
    if waiting and waiting.countdown:
        view.waiting_due = waiting.countdown["due"]
        view.waiting_seconds = waiting.countdown["seconds"]
    return view


# --- CronJob ---------------------------------------------------------------------------------------------


@dataclass
class CronJobView:
    cluster_name: str
    name: str
    namespace: str
    exists: bool
    schedule: str
    words: str
    timezone: str
    suspended: bool
    next_run: str
    next_due: str
    next_seconds: str
    last_schedule: str
    active: int
    jobs: Table | None
    events: Table | None
    commands: dict[str, str]
    spec_chips: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ids(self) -> dict[str, str]:
        base = dom_id("cj", self.namespace, self.name)
        return {k: f"{base}-{k}" for k in ("head", "status", "jobs", "events")}


def cronjob_view(cluster, namespace: str, name: str) -> CronJobView:
    from controllers.cronjob_plan import describe_schedule, next_schedule_time

    now = cluster.sim_now
    commands = {
        "suspend": f"kubectl patch cronjob {name}{ns_flag(namespace)} -p '{{\"spec\":{{\"suspend\":true}}}}'",
        "resume": f"kubectl patch cronjob {name}{ns_flag(namespace)} -p '{{\"spec\":{{\"suspend\":false}}}}'",
        "trigger": f"kubectl create job --from=cronjob/{name} {name}-manual{ns_flag(namespace)}",
        "events": f"kubectl events --for cronjob/{name}{ns_flag(namespace)}",
        "jobs": f"kubectl get jobs{ns_flag(namespace)}",
    }
    row = CronJob.objects.filter(cluster=cluster, namespace=namespace, name=name).first()
    if row is None:
        return CronJobView(cluster.name, name, namespace, False, "", "", "", False, "", "", "", "", 0, None, None, commands)
    cj = row.to_dict()
    spec, status = cj.get("spec") or {}, cj.get("status") or {}
    nxt = None if spec.get("suspend") else next_schedule_time(cj, now)
    jobs = [j.to_dict() for j in Job.objects.filter(cluster=cluster, owner_uid=row.uid).order_by("-creation_timestamp")[:20]]
    table = kubectl_table(cluster, "Job", jobs, now, command=commands["jobs"], title="Recent Jobs",
                          link=lambda o: owner_url(cluster.name, "Job", namespace, o["metadata"]["name"]),
                          empty="This CronJob has no Jobs yet (or none left: finished ones beyond the history limits are deleted).")
    chips = [("schedule", spec.get("schedule", "")), ("concurrencyPolicy", spec.get("concurrencyPolicy", "Allow")),
             ("successfulJobsHistoryLimit", str(spec.get("successfulJobsHistoryLimit", 3))),
             ("failedJobsHistoryLimit", str(spec.get("failedJobsHistoryLimit", 1)))]
    return CronJobView(
        cluster.name, name, namespace, True, spec.get("schedule", ""), describe_schedule(spec.get("schedule", "")),
        spec.get("timeZone") or "UTC (the controller's zone)", bool(spec.get("suspend")),
        clock_text(nxt) if nxt else ("suspended" if spec.get("suspend") else "never"), iso(nxt) if nxt else "",
        seconds_text((nxt - now).total_seconds()) if nxt else "",
        clock_text(_t(status["lastScheduleTime"])) if status.get("lastScheduleTime") else "never",
        len(status.get("active") or []), table,
        events_table(cluster, events_for(cluster, kind="CronJob", name=name, namespace=namespace), now, command=commands["events"]),
        commands, chips,
    )
