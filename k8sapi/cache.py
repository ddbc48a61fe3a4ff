"""Decoded objects and their JSON, cached per process and valid for one resourceVersion.

Decoding and encoding thousands of JSON rows dominates a big list (`kubectl get pods -A` on
10,000 pods), and most objects have not changed since the last list. kube-apiserver serves
lists from its in-memory watch cache for the same reason. Here a list reads only the
(uid, resourceVersion) pairs of the rows it selects and decodes just the rows whose version
moved; each cached `Item` also keeps its encodings once made. Nothing needs invalidating: a
write always gives the object a new resourceVersion.

Items are shared between requests and threads: never modify `Item.obj`.
"""
from __future__ import annotations

import json
import threading
from collections import OrderedDict
from datetime import datetime
from typing import Hashable

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


class Item:
    """One object at one resourceVersion, with its JSON encodings made on first use, and its
    Table cells as of the last simulated time they were printed at."""

    __slots__ = ("obj", "_json", "_metadata", "_cells", "_key")

    def __init__(self, obj: dict):
        self.obj = obj
        self._json: bytes | None = None
        self._metadata: bytes | None = None
        self._cells: tuple[datetime, bytes] | None = None  # (now, encoded cells), replaced as a whole
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

    def cells_json(self, now: datetime) -> bytes:
        """The encoded cells of the object's Table row at simulated time `now` (ages depend on it):
        kept for one `now`, so repeated lists on a clock that has not moved print nothing again."""
        cached = self._cells
        if cached is not None and cached[0] == now:
            return cached[1]
        cells = encode(printers.row_cells(self.obj, now))
        self._cells = (now, cells)
        return cells

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


class ResponseCache:
    """Whole list bodies, per request shape, valid for one (resourceVersion, simulated time).

    Every write bumps the cluster's resourceVersion and the Table's ages move only with the
    simulated clock, so a list asked for again at the same (resourceVersion, now) is the same
    bytes: `kubectl get` repeated on a cluster that did not change is answered without reading
    a row. Keys carry the cluster's primary key, which is never reused (a reset cluster is a new
    row). Bounded by entries and bytes; least recently used first out.
    """

    def __init__(self, max_entries: int = 16, max_bytes: int = 128 * 1024 * 1024) -> None:
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._entries: OrderedDict[Hashable, tuple[int, datetime, Body]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable, resource_version: int, now: datetime) -> Body | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None or found[0] != resource_version or found[1] != now:
                return None
            self._entries.move_to_end(key)
            return found[2]

    def put(self, key: Hashable, resource_version: int, now: datetime, body: Body) -> None:
        """Keep `body` (counted at twice its size: room for its gzip encoding)."""
        size = 2 * len(body.data)
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= 2 * len(old[2].data)
            self._entries[key] = (resource_version, now, body)
            self._bytes += size
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= 2 * len(dropped[2].data)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0


RESPONSES = ResponseCache()
