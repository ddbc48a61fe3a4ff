"""An Indexed Job of 10,000 completions, parallelism 500, instant pods, fast-forwarded.

Goal (issue 5): creation to Complete in under 10 s wall on this machine (upstream's own
benchmark took about 225 s for 10,000 pods at 100 QPS). Set BENCH_JOB_COMPLETIONS to try
other sizes. It also prints the floor of the run (`bench.floor`): what writing its rows costs.
"""
from __future__ import annotations

import os
import time
from datetime import timedelta

from bench.floor import rows_floor
from cluster import store
from cluster.bootstrap import ensure_cluster, node_manifest
from cluster.models import Job
from controllers.engine import Engine

COMPLETIONS = int(os.environ.get("BENCH_JOB_COMPLETIONS", "10000"))
PARALLELISM = 500
NODES = 10


def run() -> None:
    cluster = ensure_cluster("job-bench")
    store.create_many(cluster, [node_manifest(f"node-{i}", pods=1000) for i in range(NODES)])
    engine = Engine(cluster)
    engine.run_until_idle()
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "indexed"},
        "spec": {
            "completions": COMPLETIONS,
            "parallelism": PARALLELISM,
            "completionMode": "Indexed",
            "template": {"spec": {"restartPolicy": "Never",
                                  "containers": [{"name": "work", "image": "busybox:1.36", "command": ["true"]}]}},
        },
    }
    cluster.refresh_from_db()
    since = cluster.resource_version
    start = time.perf_counter()
    store.create(cluster, job)
    steps = engine.run_until_idle(horizon=timedelta(days=1), max_steps=1_000_000)
    elapsed = time.perf_counter() - start
    row = Job.objects.get(cluster=cluster, name="indexed")
    assert row.finished and row.status["succeeded"] == COMPLETIONS, row.status
    print(f"Indexed Job, {COMPLETIONS} completions, parallelism {PARALLELISM}: Complete in {elapsed:6.1f} s wall "
          f"({steps} engine steps, {COMPLETIONS / elapsed:,.0f} pods/s; goal < 10 s)")
    writes, floor = rows_floor(cluster, since)
    print(f"  floor: {writes} writes ({writes / COMPLETIONS:.1f} a pod), their object and log rows inserted raw "
          f"{floor:.2f} s; the run is {elapsed / floor:.1f}x its floor")
