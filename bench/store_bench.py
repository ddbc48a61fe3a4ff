"""Creating 5,000 pods through the store, against a bare bulk_create of the same rows.

Goal (issue 2): the store costs at most 3x the bare insert. The store does the real work of
an API server's create: defaults, validation, names, uids, resourceVersions, typed columns,
and one change-log insert per batch.
"""
from __future__ import annotations

import copy
import time

from django.db import transaction

from cluster import store
from cluster.bootstrap import ensure_cluster
from cluster.models import Change, Pod

N = 5000
BATCH = 500


def manifest(i: int) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"generateName": "bench-", "labels": {"app": "bench"}},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
    }


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run() -> None:
    cluster = ensure_cluster("bench")
    template = store.create(cluster, manifest(0))

    def through_store():
        for start in range(0, N, BATCH):
            store.create_many(cluster, [manifest(i) for i in range(start, start + BATCH)])

    def bare_insert():
        rows = []
        for i in range(N):
            obj = copy.deepcopy(template)
            obj["metadata"]["name"] = f"bare-{i}"
            obj["metadata"]["uid"] = f"00000000-0000-4000-8000-{i:012d}"
            rows.append(Pod(cluster=cluster, namespace="default", name=obj["metadata"]["name"],
                            uid=obj["metadata"]["uid"], resource_version=1, creation_timestamp=cluster.sim_now,
                            labels=obj["metadata"]["labels"], metadata=obj["metadata"], spec=obj["spec"],
                            status=obj["status"]))
        with transaction.atomic():
            for start in range(0, N, BATCH):
                Pod.objects.bulk_create(rows[start:start + BATCH])

    store_s = timed(through_store)
    bare_s = timed(bare_insert)
    assert Pod.objects.filter(cluster=cluster).count() == 2 * N + 1
    assert Change.objects.filter(cluster=cluster, kind="Pod").count() == N + 1
    print(f"store.create_many  {N} pods: {store_s * 1000:8.0f} ms  ({N / store_s:,.0f} pods/s)")
    print(f"bare bulk_create   {N} pods: {bare_s * 1000:8.0f} ms  ({N / bare_s:,.0f} pods/s)")
    print(f"ratio store / bare: {store_s / bare_s:.2f}x (goal <= 3x)")
