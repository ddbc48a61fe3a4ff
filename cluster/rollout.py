"""`kubectl rollout status|history|undo ds/NAME`, with kubectl's texts.

These are client-side in kubectl: they read the DaemonSet's status and its ControllerRevisions
and, for `undo`, patch the DaemonSet's template back to an earlier revision's. The DaemonSet
controller then renumbers that revision as the newest (history 1,2 -> undo -> 2,3).
"""
from __future__ import annotations

import threading
import time

from cluster import store
from cluster.models import ControllerRevision

CHANGE_CAUSE = "kubernetes.io/change-cause"


class RolloutError(Exception):
    pass


def _daemonset(cluster, namespace: str, target: str):
    kind, _, name = target.partition("/")
    if kind not in ("ds", "daemonset", "daemonsets", "daemonset.apps", "daemonsets.apps"):
        raise RolloutError(f'no rollout support for "{target}": only daemonsets are simulated')
    return store.get(cluster, "DaemonSet", namespace, name)


def status_message(ds: dict) -> tuple[str, bool]:
    """(message, done) exactly as kubectl's DaemonSetStatusViewer words it."""
    name = ds["metadata"]["name"]
    strategy = (ds.get("spec") or {}).get("updateStrategy", {}).get("type")
    if strategy != "RollingUpdate":
        raise RolloutError("rollout status is only available for RollingUpdate strategy type")
    status = ds.get("status") or {}
    if ds["metadata"].get("generation", 0) > status.get("observedGeneration", 0):
        return "Waiting for daemon set spec update to be observed...", False
    desired = status.get("desiredNumberScheduled", 0)
    updated = status.get("updatedNumberScheduled", 0)
    available = status.get("numberAvailable", 0)
    if updated < desired:
        return f'Waiting for daemon set "{name}" rollout to finish: {updated} out of {desired} new pods have been updated...', False
    if available < desired:
        return f'Waiting for daemon set "{name}" rollout to finish: {available} of {desired} updated pods are available...', False
    return f'daemon set "{name}" successfully rolled out', True


def status(cluster, namespace: str, target: str, out, *, watch: bool = True, timeout: float = 0) -> int:
    """Print progress until the rollout is done (as `kubectl rollout status` does)."""
    deadline = time.monotonic() + timeout if timeout else None
    last = None
    pause = threading.Event()
    while True:
        message, done = status_message(_daemonset(cluster, namespace, target).to_dict())
        if message != last:
            out.write(message + "\n")
            last = message
        if done or not watch:
            return 0
        if deadline and time.monotonic() > deadline:
            raise RolloutError("timed out waiting for the condition")
        pause.wait(0.2)  # the server's controllers move the rollout; re-read its status


def _revisions(cluster, ds_row) -> list[ControllerRevision]:
    return sorted(ControllerRevision.objects.filter(cluster=cluster, owner_uid=ds_row.uid), key=lambda r: r.revision)


def history(cluster, namespace: str, target: str, out, *, revision: int | None = None) -> int:
    row = _daemonset(cluster, namespace, target)
    revisions = _revisions(cluster, row)
    if revision:
        match = [r for r in revisions if r.revision == revision]
        if not match:
            raise RolloutError(f"unable to find the specified revision")
        template = match[0].data.get("spec", {}).get("template", {})
        out.write(f"daemonset.apps/{row.name} with revision #{revision}\n")
        out.write(_describe_template(template))
        return 0
    lines = ["REVISION\tCHANGE-CAUSE"]
    for r in revisions:
        cause = (r.metadata.get("annotations") or {}).get(CHANGE_CAUSE) or "<none>"
        lines.append(f"{r.revision}\t{cause}")
    out.write(f"daemonset.apps/{row.name} \n")
    out.write(_tabbed(lines) + "\n")
    return 0


def _tabbed(lines: list[str]) -> str:
    """Go's tabwriter with minwidth 0, padding 2 (kubectl's tabbedString)."""
    rows = [line.split("\t") for line in lines]
    widths = [max(len(r[i]) for r in rows if i < len(r)) for i in range(max(len(r) for r in rows))]
    text = []
    for row in rows:
        cells = [c.ljust(widths[i] + 2) if i < len(row) - 1 else c for i, c in enumerate(row)]
        text.append("".join(cells))
    return "\n".join(text) + "\n"


def _describe_template(template: dict) -> str:
    labels = ",".join(f"{k}={v}" for k, v in sorted((template.get("metadata") or {}).get("labels", {}).items()))
    lines = ["Pod Template:", f"  Labels:\t{labels or '<none>'}", "  Containers:"]
    for c in (template.get("spec") or {}).get("containers", []):
        lines += [f"   {c['name']}:", f"    Image:\t{c.get('image', '')}"]
    return "\n".join(lines) + "\n\n"


def undo(cluster, namespace: str, target: str, out, *, to_revision: int = 0) -> int:
    row = _daemonset(cluster, namespace, target)
    revisions = _revisions(cluster, row)
    if to_revision:
        chosen = next((r for r in revisions if r.revision == to_revision), None)
        if chosen is None:
            raise RolloutError(f"unable to find specified revision {to_revision} in history")
    else:
        if len(revisions) < 2:
            raise RolloutError("no rollout history found for daemonset \"" + row.name + "\"")
        chosen = revisions[-2]
    template = chosen.data.get("spec", {}).get("template", {})
    template = {k: v for k, v in template.items() if k != "$patch"}
    if template == row.spec.get("template"):
        out.write(f"daemonset.apps/{row.name} skipped rollback (current template already matches revision {chosen.revision})\n")
        return 0
    store.patch(cluster, "DaemonSet", namespace, row.name, {"spec": {"template": {"$patch": "replace", **template}}},
                patch_type="strategic")
    out.write(f"daemonset.apps/{row.name} rolled back\n")
    return 0
