"""Scale-out on real PostgreSQL and Redis: two daphne servers, three controller workers.

One worker is killed with SIGKILL midway. Afterwards: no key was ever reconciled by two
processes at once, every key was reconciled after its last change, the killed worker's cluster
was taken over within 10 s, and the DaemonSet converged to exactly one pod per node.
"""
from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
import uuid
from collections import defaultdict

import psycopg
import pytest

from conftest import ROOT, free_port, wait_for

pytestmark = [pytest.mark.services]

LEASE_SECONDS = 3


@pytest.fixture(scope="module")
def cluster_processes(postgres_url, redis_url, tmp_path_factory):
    name = f"kubesim_scale_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_url + "/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    env = {
        **__import__("os").environ,
        "DATABASE_URL": f"{postgres_url}/{name}",
        "REDIS_URL": redis_url,
        "RECONCILER_MODE": "worker",
        "KUBESIM_EXTRA_HANDLERS": "controllers.tests.probe",
        "KUBESIM_LEASE_SECONDS": str(LEASE_SECONDS),
        "PYTHONUNBUFFERED": "1",
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    logs = tmp_path_factory.mktemp("scale")
    procs = []
    ports = [free_port(), free_port()]
    for port in ports:
        procs.append(subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                                       "config.asgi:application"], cwd=ROOT, env=env,
                                      stdout=(logs / f"daphne-{port}.log").open("w"), stderr=subprocess.STDOUT))
    for i in range(3):
        procs.append(subprocess.Popen([sys.executable, "manage.py", "runworker", "kubesim-controllers"], cwd=ROOT,
                                      env=env, stdout=(logs / f"worker-{i}.log").open("w"), stderr=subprocess.STDOUT))

    def serving(port: int) -> bool:
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).status == 200
        except OSError:
            return False

    for port in ports:
        wait_for(lambda: serving(port), f"daphne on {port}")
    yield {"env": env, "ports": ports, "logs": logs}
    for proc in procs:
        proc.kill()
        proc.wait(timeout=10)


def run_script(env: dict, action: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "controllers.tests.scale_script", action], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_one_reconcile_per_key_at_a_time_and_takeover_after_sigkill(cluster_processes):
    report = run_script(cluster_processes["env"], "churn")
    assert report["drained"]
    runs = report["runs"]
    by_key = defaultdict(list)
    for run in runs:
        by_key[run["key"]].append(run)
    for key, key_runs in by_key.items():
        key_runs.sort(key=lambda r: r["start"])
        for a, b in zip(key_runs, key_runs[1:]):
            assert b["start"] >= a["end"], f"{key} ran twice at once: {a} {b}"
    for key, enqueued in report["enqueued"].items():
        assert max(r["start"] for r in by_key[key]) >= enqueued, f"{key} not reconciled after its last change"
    after = [r for r in runs if r["start"] > report["killed_at"]]
    assert after and all(r["pid"] != report["killed_pid"] for r in after)
    takeover = min(r["start"] for r in after) - report["killed_at"]
    assert takeover < 10, f"takeover took {takeover:.1f} s"
    assert len({r["pid"] for r in runs}) >= 2  # the work really moved to another worker


def test_daemonset_converges_to_one_pod_per_node_despite_a_killed_worker(cluster_processes):
    report = run_script(cluster_processes["env"], "daemonset")
    assert report["converged"], report
    assert report["pods"] == {node: 1 for node in report["nodes"]}
    assert "n1" not in report["nodes"] and len(report["nodes"]) == 8


def test_both_servers_serve_the_cluster(cluster_processes):
    for port in cluster_processes["ports"]:
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read().decode()
        assert "kubesim" in body
