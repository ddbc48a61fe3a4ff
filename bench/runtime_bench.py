"""The runtime's cost: handling one node addition at 1,000 and 50,000 nodes, and a full resync.

Goals (issue 3): at most 10 queries to handle a node addition, the 50,000-node cluster at most
1.5x the time of the 1,000-node one; a full resync at 5,000 nodes in at most 50 ms. "Handling"
is what the runtime does with the change: map the Node's announcement to the keys that care
and queue them (the controllers then run from the queue; their cost is the DaemonSet bench's).
Cluster set-up uses bulk inserts (not measured).
"""
from __future__ import annotations

import statistics
import time
import uuid

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from cluster import store
from cluster.bootstrap import ensure_cluster, node_manifest
from cluster.models import Node
from controllers import mapping
from controllers.engine import Engine

REPEATS = 20


def seed_nodes(cluster, n: int) -> None:
    now = cluster.sim_now
    rows = []
    for i in range(n):
        obj = node_manifest(f"seed-{i:05d}")
        meta = obj["metadata"] | {"uid": str(uuid.uuid4()), "resourceVersion": "1", "creationTimestamp": "2026-01-01T00:00:00Z"}
        rows.append(Node(cluster=cluster, name=meta["name"], uid=meta["uid"], resource_version=1,
                         creation_timestamp=now, labels=meta["labels"], metadata=meta, spec={}, status={}, ready="True"))
    Node.objects.bulk_create(rows, batch_size=2000)


def handle_one_addition(cluster, i: int) -> tuple[float, int, float]:
    """(seconds to map + queue, queries doing so, seconds for the whole write)."""
    touched = [store.Touched("ADDED", "Node", "", f"new-{i}", str(uuid.uuid4()))]
    with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
        start = time.perf_counter()
        mapping.enqueue_touched(cluster, touched)
        handled = time.perf_counter() - start
    start = time.perf_counter()
    store.create(cluster, node_manifest(f"added-{i}"))
    return handled, len(ctx.captured_queries), time.perf_counter() - start


def run() -> None:
    results = {}
    for n in (1000, 50000):
        cluster = ensure_cluster(f"runtime-{n}")
        seed_nodes(cluster, n)
        samples = [handle_one_addition(cluster, i) for i in range(REPEATS)]
        handled = statistics.median(s[0] for s in samples)
        queries = max(s[1] for s in samples)
        write = statistics.median(s[2] for s in samples)
        results[n] = handled
        print(f"{n:>6} nodes: node addition handled in {handled * 1000:6.2f} ms (median of {REPEATS}), "
              f"{queries} queries; the whole store write with it {write * 1000:6.2f} ms")
    print(f"ratio 50,000 / 1,000 nodes: {results[50000] / results[1000]:.2f}x (goal <= 1.5x, <= 10 queries)")
    cluster = ensure_cluster("runtime-5000")
    seed_nodes(cluster, 5000)
    engine = Engine(cluster)
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        with transaction.atomic():
            engine.resync()
        times.append(time.perf_counter() - start)
    print(f"  5000 nodes: full resync in {statistics.median(times) * 1000:6.2f} ms (median of {REPEATS}; goal <= 50 ms)")
