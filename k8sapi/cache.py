"""Decoded objects and their JSON, cached per process and valid for one resourceVersion.

Decoding and encoding thousands of JSON rows dominates a big list (`kubectl get pods -A` on
10,000 pods), and most objects have not changed since the last list. kube-apiserver serves
lists from its in-memory watch cache for the same reason. Here a list reads only the
(uid, resourceVersion) pairs of the rows it selects and decodes just the rows whose version
moved; each cached `Item` also keeps its encodings once made. Nothing needs invalidating: a
write always gives the object a new resourceVersion.

The clock is another matter: a Table row's AGE (and RESTARTS' "ago", a running Job's DURATION,
events' LAST SEEN...) moves with the simulated time. So an `Item` keeps its Table cells as a
`Template`: the encoded JSON of everything the object alone decides, with holes for the
printers' `TimeCell`s, which are formatted afresh (once per distinct timestamp) per request.

Items are shared between requests and threads: never modify `Item.obj`.
"""
from __future__ import annotations

import json
import threading
from collections import OrderedDict
from datetime import datetime
from typing import Hashable, Iterable

from django.db.models import QuerySet

from cluster import printers
from cluster.models import Cluster
from k8sapi import compression

CACHE_LIMIT = 200_000  # items kept per kind and cluster; beyond it the cache starts afresh
FETCH_CHUNK = 500


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)  # json.dumps would make one per call


def encode(data: object) -> bytes:
    """Compact UTF-8 JSON, as kube-apiserver writes it."""
    return _ENCODER.encode(data).encode()


class Template:
    """JSON bytes with holes for cells that depend on the clock: `statics[0]`, the encoded
    `times[0].at(now)`, `statics[1]`, ... `statics[-1]` (one more static than holes). `at(now)`
    splices the holes in; a template without holes is simply its bytes. Immutable once built."""

    __slots__ = ("statics", "times")

    def __init__(self, statics: list[bytes], times: list[printers.TimeCell]):
        self.statics, self.times = statics, times

    @classmethod
    def of(cls, data: bytes) -> "Template":
        return cls([data], [])

    def at(self, now: datetime) -> bytes:
        if not self.times:
            return self.statics[0]
        formatted: dict[printers.TimeCell, bytes] = {}  # many rows share a timestamp
        filled = []
        for cell in self.times:
            text = formatted.get(cell)
            if text is None:
                text = formatted[cell] = encode(cell.at(now))
            filled.append(text)
        out: list[bytes] = [b""] * (2 * len(filled) + 1)
        out[0::2] = self.statics
        out[1::2] = filled
        return b"".join(out)


class TemplateBuilder:
    """Builds a `Template` from bytes, time cells and other templates, in order."""

    __slots__ = ("_statics", "_times", "_chunk")

    def __init__(self) -> None:
        self._statics: list[bytes] = []
        self._times: list[printers.TimeCell] = []
        self._chunk: list[bytes] = []  # the static bytes since the last hole

    def add(self, data: bytes) -> None:
        self._chunk.append(data)

    def hole(self, cell: printers.TimeCell) -> None:
        self._statics.append(b"".join(self._chunk))
        self._chunk = []
        self._times.append(cell)

    def add_template(self, template: Template) -> None:
        statics, times = template.statics, template.times
        self._chunk.append(statics[0])
        for cell, data in zip(times, statics[1:]):
            self.hole(cell)
            self._chunk.append(data)

    def build(self) -> Template:
        return Template([*self._statics, b"".join(self._chunk)], self._times)


def cells_template(cells: Iterable) -> Template:
    """The JSON array of a row's template cells (`printers.row_template`): byte for byte what
    encoding the printed cells as a list gives, once the holes are filled."""
    builder = TemplateBuilder()
    builder.add(b"[")
    for i, cell in enumerate(cells):
        if i:
            builder.add(b",")
        if type(cell) is printers.TimeCell:
            builder.hole(cell)
        else:
            builder.add(encode(cell))
    builder.add(b"]")
    return builder.build()


class Item:
    """One object at one resourceVersion, with its JSON encodings made on first use, and its
    Table cells as a template that only the clock's cells are missing from."""

    __slots__ = ("obj", "_json", "_metadata", "_cells", "_key")

    def __init__(self, obj: dict):
        self.obj = obj
        self._json: bytes | None = None
        self._metadata: bytes | None = None
        self._cells: Template | None = None
        self._key: tuple[str, str] | None = None

    @property
    def json(self) -> bytes:
        if self._json is None:
            self._json = encode(self.obj)
        return self._json

    @property
    def metadata_json(self) -> bytes:
        """The object as a Table row carries it by default (`PartialObjectMetadata`)."""
        if self._metadata is None:
            self._metadata = encode({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                                     "metadata": self.obj.get("metadata", {})})
        return self._metadata

    @property
    def cells(self) -> Template:
        """The encoded cells of the object's Table row, the clock's cells left open: printed once
        per object version, whatever the clock does."""
        if self._cells is None:
            self._cells = cells_template(printers.row_template(self.obj))
        return self._cells

    def cells_json(self, now: datetime) -> bytes:
        """The encoded cells of the object's Table row at simulated time `now`."""
        return self.cells.at(now)

    @property
    def sort_key(self) -> tuple[str, str]:
        """(namespace, name): the order of a list."""
        if self._key is None:
            meta = self.obj["metadata"]
            self._key = (meta.get("namespace", ""), meta["name"])
        return self._key

    @property
    def resource_version(self) -> int:
        return int(self.obj["metadata"]["resourceVersion"])


class ObjectCache:
    def __init__(self) -> None:
        self._kinds: dict[tuple[int, str], dict[str, tuple[int, Item]]] = {}

    def items(self, cluster: Cluster, qs: QuerySet, *, complete: bool) -> dict[str, Item]:
        """{uid: Item} for the rows of `qs`, as they are now. `complete` (the query selects every
        object of its kind) lets the cache forget the objects that no longer exist."""
        key = (cluster.pk, qs.model.kind)
        entries = self._kinds.get(key, {})
        if len(entries) > CACHE_LIMIT:
            entries = {}
        current = dict(qs.values_list("uid", "resource_version"))
        stale = [uid for uid, rv in current.items() if entries.get(uid, (None,))[0] != rv]
        if len(stale) > len(current) // 2:  # mostly cold: one pass over the query is cheaper
            batches = [qs]
        else:
            batches = [qs.model.objects.filter(cluster=cluster, uid__in=stale[i:i + FETCH_CHUNK])
                       for i in range(0, len(stale), FETCH_CHUNK)]
        for batch in batches:
            for row in batch:
                entries[row.uid] = (row.resource_version, Item(row.to_dict()))
        if complete:
            entries = {uid: entries[uid] for uid in current if uid in entries}
        self._kinds[key] = entries
        return {uid: entries[uid][1] for uid in current if uid in entries}

    def clear(self) -> None:
        self._kinds.clear()


CACHE = ObjectCache()


class Body:
    """A response body, and its gzip encoding once a client has asked for it."""

    __slots__ = ("data", "_gzipped")

    def __init__(self, data: bytes):
        self.data = data
        self._gzipped: bytes | None = None

    def gzipped(self) -> bytes:
        if self._gzipped is None:
            self._gzipped = compression.gzip(self.data)
        return self._gzipped


class _Entry:
    __slots__ = ("resource_version", "template", "now", "body", "size")

    def __init__(self, resource_version: int, template: Template, now: datetime, body: Body):
        self.resource_version, self.template, self.now, self.body = resource_version, template, now, body
        self.size = 3 * len(body.data)  # room for the gzip encoding and the template; fixed once kept


class ResponseCache:
    """Whole list bodies, per request shape: a `Template` valid for one resourceVersion, and the
    body it gave at the last simulated time it was asked at.

    Every write bumps the cluster's resourceVersion and the Table's ages move only with the
    simulated clock, so a list asked for again at the same (resourceVersion, now) is the same
    bytes: `kubectl get` repeated on a cluster that did not change is answered without reading
    a row, and once the clock has moved, with the time cells spliced into the template (no row
    read or printed again). Keys carry the cluster's primary key, which is never reused (a reset
    cluster is a new row). Bounded by entries and bytes; least recently used first out.
    """

    def __init__(self, max_entries: int = 16, max_bytes: int = 192 * 1024 * 1024) -> None:
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable, resource_version: int, now: datetime) -> Body | None:
        """The body at (resourceVersion, now), spliced from the kept template if only the clock
        has moved; None if the version is another (or nothing is kept)."""
        with self._lock:
            found = self._entries.get(key)
            if found is None or found.resource_version != resource_version:
                return None
            self._entries.move_to_end(key)
            if found.now == now or not found.template.times:
                return found.body
        body = Body(found.template.at(now))  # outside the lock: other lists go on meanwhile
        with self._lock:
            if self._entries.get(key) is found and now > found.now:  # the clock only moves on
                found.now, found.body = now, body
        return body

    def put(self, key: Hashable, resource_version: int, template: Template, now: datetime, body: Body) -> None:
        """Keep `template` and `body`, its bytes at `now`."""
        entry = _Entry(resource_version, template, now, body)
        if entry.size > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            self._entries[key] = entry
            self._bytes += entry.size
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= dropped.size

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0


RESPONSES = ResponseCache()
