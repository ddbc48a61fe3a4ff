"""DaemonSet creation to every pod Running on N nodes, fast-forwarded, against a raw insert.

Goal (issue 4): 5,000 nodes in under 2 s wall on a 2-core machine, and within 10x of a raw
SQLite insert of the same number of pod rows, measured in the same run.

It also prints the floor of the run (`bench.floor`): a DaemonSet's pod is written four times
(created, bound, ContainerCreating, Running) with five events (Scheduled, Pulling, Pulled,
Created, Started), as in a real cluster, and each write is an object row and a change-log row.
"""
from __future__ import annotations

import json
import os
import time
from datetime import timedelta

from django.db import connection, transaction

from bench.floor import rows_floor
from cluster import store
from cluster.bootstrap import ensure_cluster, node_manifest
from cluster.models import DaemonSet, Pod
from controllers.engine import Engine

SIZES = [int(n) for n in os.environ.get("BENCH_DS_NODES", "1000,5000").split(",")]

DS = {
    "apiVersion": "apps/v1",
    "kind": "DaemonSet",
    "metadata": {"name": "node-exporter"},
    "spec": {
        "selector": {"matchLabels": {"app": "node-exporter"}},
        "template": {"metadata": {"labels": {"app": "node-exporter"}},
                     "spec": {"containers": [{"name": "exporter", "image": "prom/node-exporter:v1.8.2"}]}},
    },
}


def raw_insert(cluster, n: int) -> float:
    """The floor: one executemany of n pod rows, JSON already serialised."""
    table = Pod._meta.db_table
    spec = json.dumps(DS["spec"]["template"]["spec"])
    now = connection.ops.adapt_datetimefield_value(cluster.sim_now)
    rows = [(cluster.pk, "default", f"raw-{n}-{i}", f"raw-{n}-{i}", i, 1, now, "{}", "", "", "", "{}", spec, "{}", "", "Pending")
            for i in range(n)]
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.executemany(
            f"INSERT INTO {table} (cluster_id, namespace, name, uid, resource_version, generation, creation_timestamp,"
            " labels, owner_uid, owner_kind, owner_name, metadata, spec, status, node_name, phase)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", rows)
    return time.perf_counter() - start


def run() -> None:
    for n in SIZES:
        cluster = ensure_cluster(f"ds-bench-{n}")
        store.create_many(cluster, [node_manifest(f"node-{i:05d}") for i in range(n)])
        engine = Engine(cluster)
        engine.run_until_idle()
        cluster.refresh_from_db()
        since = cluster.resource_version
        start = time.perf_counter()
        store.create(cluster, json.loads(json.dumps(DS)))
        steps = engine.run_until_idle(horizon=timedelta(hours=1))
        elapsed = time.perf_counter() - start
        ds = DaemonSet.objects.get(cluster=cluster)
        running = Pod.objects.filter(cluster=cluster, owner_uid=ds.uid, phase="Running").count()
        assert running == n, (running, n)
        assert ds.status["numberAvailable"] == n
        raw = raw_insert(cluster, n)
        writes, floor = rows_floor(cluster, since)
        print(f"{n:>6} nodes: DaemonSet to {running} pods Running in {elapsed:6.2f} s wall ({steps} engine steps); "
              f"raw insert of {n} rows {raw * 1000:6.0f} ms; ratio {elapsed / raw:5.1f}x (goals: < 2 s at 5,000, <= 10x)")
        print(f"{'':>6}        floor: {writes} writes ({writes / n:.1f} a pod), their object and log rows inserted raw "
              f"{floor * 1000:6.0f} ms = {floor / raw:5.1f}x the raw pod rows; the run is {elapsed / floor:5.1f}x its floor")
