"""Reading for list and watch: selectors as kube-apiserver understands them, consistent lists.

A list must be a snapshot at the resourceVersion it reports, or a watch started from that
version would replay changes already in the list (kubectl get -w would print a pod twice) or
miss some. The store commits in resourceVersion order, so: read the committed counter, read
the rows, read the counter again; if writes landed in between, replay those changes from the
change log over the rows. The result is the state exactly at the second counter value.
Rows are decoded through `k8sapi.cache`, so an unchanged object is never decoded twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Hashable

from django.db.models import QuerySet

from cluster import store
from cluster.errors import BadRequest
from cluster.kinds import Resource
from cluster.models import Change, Cluster
from cluster.selectors import Requirement, matches, parse_field_selector, parse_label_selector
from k8sapi.cache import CACHE, RESPONSES, Body, Item, Template

COMMON_FIELDS = {"metadata.name", "metadata.namespace"}
IMMUTABLE_FIELDS = COMMON_FIELDS | {
    "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
    "involvedObject.apiVersion",
}
# the field selectors each kind supports upstream, beyond metadata.name and metadata.namespace
FIELD_LABELS: dict[str, set[str]] = {
    "Pod": {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
            "spec.hostNetwork", "status.phase", "status.podIP", "status.podIPs", "status.nominatedNodeName"},
    "Node": {"spec.unschedulable"},
    "Namespace": {"status.phase"},
    "Job": {"status.successful"},
    "Event": {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
              "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
              "reason", "reportingComponent", "source", "type"},
}
# indexed columns that narrow the query before the exact check in Python
FIELD_COLUMNS: dict[str, dict[str, str]] = {
    "Pod": {"spec.nodeName": "node_name", "status.phase": "phase"},
    "Event": {"involvedObject.uid": "involved_uid", "involvedObject.name": "involved_name",
              "involvedObject.kind": "involved_kind"},
}
BOOLEAN_FIELDS = {"spec.hostNetwork", "spec.unschedulable"}


def _path(obj: dict, path: str):
    cur = obj
    for part in path.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


def field_value(obj: dict, field: str) -> str:
    """The string a field selector compares with, as the API server's field label functions."""
    if field == "source":
        return _path(obj, "source.component") or obj.get("reportingComponent") or ""
    if field == "status.successful":
        return str(_path(obj, "status.succeeded") or 0)
    if field == "status.podIPs":
        field = "status.podIP"
    value = _path(obj, field)
    if field in BOOLEAN_FIELDS:
        return "true" if value else "false"
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Selection:
    """Which objects a list or watch is about: kind, namespace, label and field selectors."""

    resource: Resource
    namespace: str | None
    labels: tuple[Requirement, ...] = ()
    fields: tuple[tuple[str, str, str], ...] = ()

    def matches(self, obj: dict) -> bool:
        meta = obj.get("metadata") or {}
        if self.namespace is not None and meta.get("namespace", "") != self.namespace:
            return False
        if self.labels and not matches(self.labels, meta.get("labels")):
            return False
        return all((field_value(obj, f) == v) == (op == "=") for f, op, v in self.fields)

    @property
    def mutable(self) -> bool:
        """Can an object start or stop matching while it lives? (Then watches need its past.)"""
        return bool(self.labels) or any(f not in IMMUTABLE_FIELDS for f, _, _ in self.fields)

    def narrow(self, qs: QuerySet) -> QuerySet:
        """Push what indexed columns can decide into the query (the exact check stays in Python)."""
        if self.namespace is not None:
            qs = qs.filter(namespace=self.namespace)
        columns = {"metadata.name": "name", "metadata.namespace": "namespace",
                   **FIELD_COLUMNS.get(self.resource.kind, {})}
        for field, op, value in self.fields:
            column = columns.get(field)
            if column is None or (field == "status.phase" and not value):
                continue
            qs = qs.filter(**{column: value}) if op == "=" else qs.exclude(**{column: value})
        return qs


def selection(res: Resource, namespace: str | None, label_selector: str | None = None,
              field_selector: str | None = None) -> Selection:
    """Parse and check the selectors (400 for a field the kind cannot be selected by)."""
    labels = parse_label_selector(label_selector)
    fields = parse_field_selector(field_selector)
    supported = COMMON_FIELDS | FIELD_LABELS.get(res.kind, set())
    for field, _, _ in fields:
        if field not in supported:
            raise BadRequest(f"field label not supported: {field}")
    return Selection(res, namespace if res.namespaced else None, labels, fields)


@dataclass
class Snapshot:
    items: list[Item]
    resource_version: int
    now: datetime

    @property
    def objects(self) -> list[dict]:
        """The objects (shared with the cache: read them, never change them)."""
        return [item.obj for item in self.items]


def committed(cluster_id: int) -> tuple[int, datetime]:
    """The last committed resourceVersion and the simulated time, in one read."""
    return Cluster.objects.values_list("resource_version", "sim_now").get(pk=cluster_id)


def snapshot(cluster: Cluster, sel: Selection, before: int | None = None) -> Snapshot:
    """The selected objects exactly as of the returned resourceVersion, sorted by namespace/name.
    `before` is the committed resourceVersion if the caller has just read it."""
    if before is None:
        before, _ = committed(cluster.pk)
    qs = sel.narrow(store.model_for(sel.resource.kind).objects.filter(cluster=cluster))
    items = CACHE.items(cluster, qs, complete=sel.namespace is None and not sel.fields)
    after, now = committed(cluster.pk)
    if after != before:
        changes = Change.objects.filter(cluster=cluster, kind=sel.resource.kind,
                                        resource_version__gt=before, resource_version__lte=after)
        if sel.namespace is not None:
            changes = changes.filter(namespace=sel.namespace)
        for type_, uid, obj in changes.order_by("resource_version").values_list("type", "uid", "object"):
            if type_ == Change.DELETED:
                items.pop(uid, None)
            elif uid not in items or items[uid].resource_version < int(obj["metadata"]["resourceVersion"]):
                items[uid] = Item(obj)
    selected = list(items.values())
    if sel.labels or sel.fields:  # the query and the replay already kept to the namespace
        selected = [item for item in selected if sel.matches(item.obj)]
    selected.sort(key=Item.sort_key.fget)  # mostly in order already (the query's ORDER BY)
    return Snapshot(selected, after, now)


def list_body(cluster: Cluster, sel: Selection, shape: Hashable,
              render: Callable[[Snapshot], Template | bytes]) -> Body:
    """A list's body: `render` of the snapshot (a Table's `Template`, with holes for the clock's
    cells, or bytes, which must not depend on the clock), or the same bytes again if nothing has
    changed.

    `shape` names everything else the body depends on (Table or list, includeObject...). A
    rendered template stays valid while the resourceVersion stays put (writes always bump it);
    when only the clock has moved, the body is the template with the new times spliced in."""
    resource_version, now = committed(cluster.pk)
    key = (cluster.pk, sel, shape)
    body = RESPONSES.get(key, resource_version, now)
    if body is None:
        snap = snapshot(cluster, sel, before=resource_version)
        rendered = render(snap)
        template = Template.of(rendered) if isinstance(rendered, bytes) else rendered
        body = Body(template.at(snap.now))
        RESPONSES.put(key, snap.resource_version, template, snap.now, body)
    return body


def get_object(cluster: Cluster, res: Resource, namespace: str | None, name: str) -> tuple[dict, datetime]:
    """One object and the simulated time (for its Table row)."""
    return store.get(cluster, res.kind, namespace or "", name).to_dict(), store.now(cluster)
