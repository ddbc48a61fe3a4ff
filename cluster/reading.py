"""Read-only views of stored objects, for the controllers' hot read paths.

A controller pass reads every node and pod it cares about, every pass; decoding each row's JSON
(and copying it, as `KubeObject.to_dict()` does so callers may change it) was most of the cost.
Here rows are read as raw JSON text and decoded through a cache keyed by the text itself, so an
object that has not changed since the last pass costs a dictionary lookup. Being keyed by
content, the cache can never serve a stale or rolled-back version.

Rows whose version was read before skip even that: a committed resourceVersion is never handed
out again, so (table, row, resourceVersion) names one content for good, and a pass first reads
only the rows' versions, then the JSON of the rows it has not seen at that version. A version
read inside a transaction is remembered only once the transaction commits (a rolled-back write's
resourceVersion is handed out again, to other content).

The values are shared: treat them as read-only (copy with `copy_json` before changing anything;
the test suite checks after every test that no cached value was changed).
"""
from __future__ import annotations

import json
from typing import Any

from django.db import connections, transaction
from django.db.models import QuerySet

from cluster.models import NO_SPEC_KINDS, STATUS_KINDS, copy_json

# Texts kept; the cache starts afresh when full. A cluster of 5,000 nodes and 10,000 pods has
# 45,000 current texts (metadata, spec, status each), a few hundred MB decoded.
MAX_CACHED = 100_000
_decoded: dict[str, Any] = {}
_texts: dict[int, str] = {}  # id(decoded value) -> its text, while the value is cached
# (table, pk, resourceVersion) -> (metadata, spec, status) values of the content cache, for
# committed versions only; starts afresh when full.
MAX_VERSIONS = 50_000
_versions: dict[tuple, tuple] = {}
# rows whose JSON is read per query when their versions are not known (SQLite's limit on
# parameters is 32,766 since 3.32; PostgreSQL's 65,535)
CHUNK = 5_000


def decode(text: str | Any) -> Any:
    """The decoded value of a JSON text (shared: do not change it)."""
    if not isinstance(text, str):  # a backend that decodes JSON itself
        return text
    value = _decoded.get(text)
    if value is None:
        if len(_decoded) >= MAX_CACHED:
            clear()
        value = _decoded[text] = json.loads(text)
        _texts[id(value)] = text
    return value


def text_of(value: Any) -> str | None:
    """The stored JSON text a shared value was decoded from (the store writes it back as is
    when an object is written with that part unchanged), or None."""
    text = _texts.get(id(value))
    return text if text is not None and _decoded.get(text) is value else None


def clear() -> None:
    _decoded.clear()
    _texts.clear()
    _versions.clear()


class Stored:
    """A stored object as a controller's hot path holds it: its row's identity and a read-only
    view. The store's `update_many` and `delete_many` take it in place of a model instance, and
    keep it current (resourceVersion and view) after a write, as they do model instances."""

    __slots__ = ("model", "pk", "resource_version", "obj")

    def __init__(self, model, pk: int, resource_version: int, obj: dict):
        self.model, self.pk, self.resource_version, self.obj = model, pk, resource_version, obj

    kind = property(lambda self: self.model.kind)
    name = property(lambda self: self.obj["metadata"]["name"])
    namespace = property(lambda self: self.obj["metadata"].get("namespace", ""))
    uid = property(lambda self: self.obj["metadata"]["uid"])

    def view(self) -> dict:
        return self.obj

    def to_dict(self) -> dict:
        return copy_json(self.obj)

    def __repr__(self) -> str:
        return f"<Stored {self.kind} {self.namespace}/{self.name} rv={self.resource_version}>"


def stored(queryset: QuerySet, *extra: str) -> list:
    """Like `views`, as `Stored` handles (with `extra`: tuples of those values and the handle)."""
    model = queryset.model
    n = len(extra)
    return [
        (*row[:n], Stored(model, row[n], row[n + 1], row[n + 2])) if n else Stored(model, row[0], row[1], row[2])
        for row in views(queryset, *extra, "pk", "resource_version")
    ]


def views(queryset: QuerySet, *extra: str) -> list:
    """The objects a queryset selects, as read-only dicts shaped like `to_dict()`.

    With `extra` column names, each item is a tuple of those columns' values and the object.
    Reads the rows' versions first, then the JSON of the rows not seen at that version.
    """
    model = queryset.model
    if model.kind in NO_SPEC_KINDS:
        raise ValueError(f"{model.kind} has no spec and status columns to view")
    n = len(extra)
    rows = fetch(queryset.values_list(*extra, "pk", "resource_version"))
    table = model._meta.db_table
    known = _versions.get
    parts: list = [None] * len(rows)
    missing: dict[int, int] = {}     # pk -> position
    for i, row in enumerate(rows):
        found = known((table, row[n], row[n + 1]))
        if found is None:
            missing[row[n]] = i
        else:
            parts[i] = found
    if missing:
        learned = {}
        pks = list(missing)
        for start in range(0, len(pks), CHUNK):
            chunk = model.objects.filter(pk__in=pks[start:start + CHUNK])
            for row in fetch(chunk.values_list(*extra, "pk", "resource_version", "metadata", "spec", "status")):
                i = missing[row[n]]
                rows[i] = row[:n + 2]     # the extra columns as read with the JSON (a newer version)
                parts[i] = found = _decoded_parts(row[n + 2], row[n + 3], row[n + 4])
                learned[(table, row[n], row[n + 1])] = found
        _remember(learned, queryset.db)
    api_version, kind = model.api_version, model.kind
    status_always = kind in STATUS_KINDS
    out = []
    for row, found in zip(rows, parts):
        if found is None:        # deleted between the two reads
            continue
        meta, spec, status = found
        obj = {"apiVersion": api_version, "kind": kind, "metadata": meta, "spec": spec}
        if status or status_always:
            obj["status"] = status
        out.append((*row[:n], obj) if n else obj)
    return out


def fetch(queryset: QuerySet) -> list:
    """A values_list queryset's rows as the driver returns them (JSON columns as their text,
    to be decoded through `decode`), without Django's per-value converters."""
    compiler = queryset.query.get_compiler(queryset.db)
    sql, params = compiler.as_sql()
    with connections[queryset.db].cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def _decoded_parts(meta, spec, status) -> tuple:
    if not isinstance(meta, str):     # a backend that decodes JSON itself
        return meta, spec, status
    cached = _decoded.get
    # decode(), inlined: this runs for every changed node and pod of every pass
    return (cached(meta) or decode(meta), cached(spec) or decode(spec), cached(status) or decode(status))


def _remember(learned: dict, using: str) -> None:
    """Remember versions read, once they are known to be committed."""
    def keep():
        if len(_versions) + len(learned) > MAX_VERSIONS:
            _versions.clear()
        _versions.update(learned)

    if connections[using].in_atomic_block:
        transaction.on_commit(keep, using=using)
    else:
        keep()


def changed_in_place() -> list[str]:
    """Cached texts whose value was changed in place (for the tests: must be empty)."""
    return [text for text, value in list(_decoded.items()) if json.loads(text) != value]
