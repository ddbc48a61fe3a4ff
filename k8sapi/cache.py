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

from django.db.models import QuerySet

from cluster.models import Cluster

CACHE_LIMIT = 200_000  # items kept per kind and cluster; beyond it the cache starts afresh
FETCH_CHUNK = 500


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)  # json.dumps would make one per call


def encode(data: object) -> bytes:
    """Compact UTF-8 JSON, as kube-apiserver writes it."""
    return _ENCODER.encode(data).encode()


class Item:
    """One object at one resourceVersion, with its JSON encodings made on first use."""

    __slots__ = ("obj", "_json", "_metadata")

    def __init__(self, obj: dict):
        self.obj = obj
        self._json: bytes | None = None
        self._metadata: bytes | None = None

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


CACHE = ObjectCache()
