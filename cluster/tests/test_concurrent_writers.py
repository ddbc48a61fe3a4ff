"""Two processes writing to one cluster at once: resource versions stay unique and in order."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from cluster.bootstrap import ensure_cluster
from cluster.models import Change

ROOT = Path(__file__).resolve().parents[2]

WRITER = """
import django, os, sys
django.setup()
from cluster import store
from cluster.models import Cluster
cluster = Cluster.objects.get(name="default")
rvs = []
for i in range(int(sys.argv[2])):
    obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"{sys.argv[1]}-{i}"},
           "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]}}
    rvs.append(int(store.create(cluster, obj)["metadata"]["resourceVersion"]))
assert rvs == sorted(rvs), rvs
print(" ".join(map(str, rvs)))
"""


def _env_for_test_database() -> dict:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings", RECONCILER_MODE="off")
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        env["KUBESIM_DB"] = db["NAME"]
        env.pop("DATABASE_URL", None)
    else:
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        )
    return env


@pytest.mark.django_db(transaction=True)
def test_two_writer_processes_get_unique_increasing_resource_versions():
    cluster = ensure_cluster()
    env = _env_for_test_database()
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, name, "40"], cwd=ROOT, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name in ("a", "b")
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err
    seen = [int(v) for out, _ in outputs for v in out.split()]
    assert len(seen) == 80 and len(set(seen)) == 80
    # commit order (the log's row order) is resourceVersion order: a watcher never skips
    logged = list(Change.objects.filter(cluster=cluster, kind="Pod").order_by("id").values_list("resource_version", flat=True))
    assert logged == sorted(logged) and sorted(seen) == logged
