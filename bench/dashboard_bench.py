"""Live dashboard: commit-to-frame latency with 50 WebSocket clients, and the big first render.

1. **Commit → frame.** A daphne server (this file, run as a subprocess in `--serve` mode: the
   real ASGI app, the real consumer, the in-memory channel layer, SQLite) holds a cluster of
   `LAT_NODES` nodes with `LAT_PODS` running pods. `CLIENTS` WebSocket clients (another process,
   the `websockets` library) watch the Nodes page. A writer in the server process changes
   `BATCH` pods' status (a container restart) every `PERIOD` with one batched store write
   (`store.update_many`), as one engine step would, and records each commit's resourceVersion
   and wall time. The default is the engine's own rhythm: the controllers' driver catches the
   engine up with the clock every 100 ms (`controllers.worker.TICK_SECONDS`), so 1,000 pod
   changes a second arrive as about 100 a tick. Every element of a frame that shows pods (a chip, a node card or tile, a node's pod
   count) carries the resourceVersion it was read at (`data-rv`); a commit counts as delivered
   to a client by the first frame read at or after it. Latency = frame received - commit.
   Budget: p50 <= 50 ms, p99 <= 250 ms. The same run also measures the same 1,000 changes a
   second in 20 commits a second (50 every 50 ms), twice the engine's rhythm: frames are capped
   at about 10 a second per client (`consumers.FrameBudget`), so there every other commit waits
   for a frame slot.
2. **First render of 5,000 nodes and 10,000 pods**, in Chromium: `manage.py serve` on a
   database with 5,000 nodes, a DaemonSet with a pod on each and 5,000 more pods; the figure is
   the navigation's `loadEventEnd` (request, server render, transfer, parse, layout), plus the
   first paint. Budget: 500 ms.

Run with `make bench` (all benches) or `.venv/bin/python bench/run.py dashboard_bench`.
"""
from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "50"))
LAT_NODES = int(os.environ.get("BENCH_LAT_NODES", "20"))
LAT_PODS = int(os.environ.get("BENCH_LAT_PODS", "200"))
BATCH = int(os.environ.get("BENCH_BATCH", "100"))         # pods per commit (one engine step's worth)
PERIOD = float(os.environ.get("BENCH_PERIOD", "0.1"))      # seconds between commits: BATCH / PERIOD = 1,000 changes/s
DURATION = float(os.environ.get("BENCH_SECONDS", "10"))
BIG_NODES, BIG_PODS = 5000, 10000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- building a cluster fast (through the store, in batches) ---------------------------------


def build_cluster(nodes: int, pods: int, name: str = "default"):
    """`nodes` Ready nodes; a DaemonSet with a Running pod on every node; the rest bare Running pods."""
    from cluster import store
    from cluster.bootstrap import ensure_cluster, node_manifest
    from cluster.models import Pod
    from controllers import simulation

    cluster = ensure_cluster(name)
    simulation.pause(cluster)
    for start in range(0, nodes, 500):
        store.create_many(cluster, [node_manifest(f"node-{i:05d}") for i in range(start, min(nodes, start + 500))])
    ds = store.create(cluster, {
        "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent", "namespace": "default"},
        "spec": {"selector": {"matchLabels": {"app": "agent"}},
                 "template": {"metadata": {"labels": {"app": "agent"}},
                              "spec": {"containers": [{"name": "agent", "image": "busybox"}]}}}})
    ref = {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "agent", "uid": ds["metadata"]["uid"],
           "controller": True, "blockOwnerDeletion": True}

    def pod(i: int) -> dict:
        node = f"node-{i % nodes:05d}"
        owned = i < nodes
        meta = {"name": ("agent-" if owned else "web-") + _suffix(i), "namespace": "default",
                "labels": {"app": "agent" if owned else "web"}}
        if owned:
            meta["ownerReferences"] = [ref]
        return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
                "spec": {"nodeName": node, "containers": [{"name": "c", "image": "busybox"}]}}

    for start in range(0, pods, 500):
        store.create_many(cluster, [pod(i) for i in range(start, min(pods, start + 500))])
    now = store.format_time(store.now(cluster))
    rows = list(Pod.objects.filter(cluster=cluster))
    for start in range(0, len(rows), 500):
        pairs = []
        for row in rows[start:start + 500]:
            obj = row.to_dict()
            obj["status"] = running_status(now)
            pairs.append((row, obj))
        store.update_many(cluster, pairs, subresource="status")
    return cluster


def _suffix(i: int) -> str:
    """Five characters of Kubernetes' name alphabet, unique per i (no random collisions)."""
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    out = ""
    for _ in range(5):
        i, r = divmod(i, len(alphabet))
        out = alphabet[r] + out
    return out


def running_status(now: str, restarts: int = 0) -> dict:
    return {"phase": "Running", "startTime": now, "podIP": "10.244.0.2",
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": now}],
            "containerStatuses": [{"name": "c", "ready": True, "restartCount": restarts, "image": "busybox",
                                   "state": {"running": {"startedAt": now}}}]}


# --- 1. the server side of the latency bench (a subprocess) ---------------------------------------


def make_writer(cluster):
    """The bench's writer: `write(offset)` changes `BATCH` pods' status (a container restart) in
    one batched store write and returns the commit's resourceVersion.

    Like a controller (the kubelet) it keeps what it read: the pods are read once as `Stored`
    handles (`cluster.reading`), and `store.update_many` refreshes each one it writes, so the next
    write needs no re-read (the store still checks each row is fresh). The body is only the new
    status it built (`subresource="status"`, `trusted`), so nothing else is copied or encoded
    again on the writer's side.
    """
    from cluster import reading, store
    from cluster.models import Pod

    rows = reading.stored(Pod.objects.filter(cluster=cluster).order_by("name"))
    restarts = {row.pk: (row.view()["status"].get("containerStatuses") or [{}])[0].get("restartCount", 0)
                for row in rows}

    def write(offset: int) -> int:
        chosen = [rows[(offset + k * 7) % len(rows)] for k in range(BATCH)]
        now = store.format_time(store.now(cluster))
        pairs = []
        for row in chosen:
            restarts[row.pk] += 1
            pairs.append((row, {"status": running_status(now, restarts[row.pk])}))
        results = store.update_many(cluster, pairs, subresource="status", trusted=True)
        return max(int(obj["metadata"]["resourceVersion"]) for obj in results)

    return write


def serve(port: int, out: Path, ready: Path, go: Path) -> None:
    """Run daphne with the real app, and a writer of 1,000 pod changes/s once `go` exists."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    build_cluster(LAT_NODES, LAT_PODS)

    from asgiref.sync import sync_to_async
    from daphne.server import Server
    from twisted.internet import reactor

    from cluster.models import Cluster
    from config.asgi import application

    cluster = Cluster.objects.get(name="default")
    write = make_writer(cluster)
    commits: list[tuple[int, float]] = []

    def write_and_record(offset: int) -> None:
        rv = write(offset)
        commits.append((rv, time.time()))

    async def writer():
        while not go.exists():
            await asyncio.sleep(0.05)
        loop = asyncio.get_running_loop()
        start = loop.time()
        n = 0
        while loop.time() - start < DURATION:
            await sync_to_async(write_and_record, thread_sensitive=False)(n * BATCH)
            n += 1
            delay = start + n * PERIOD - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
        elapsed = loop.time() - start
        out.write_text(json.dumps({"commits": commits, "elapsed": elapsed, "changes": n * BATCH}))
        await asyncio.sleep(1.0)
        reactor.stop()

    def start():
        asyncio.ensure_future(writer())
        ready.write_text("ready")

    reactor.callWhenRunning(start)
    Server(application=application, endpoints=[f"tcp:port={port}:interface=127.0.0.1"], signal_handlers=False,
           verbosity=0).run()


async def _clients(url: str, origin: str, go: Path, seconds: float) -> list[list[tuple[float, int]]]:
    import websockets

    received: list[list[tuple[float, int]]] = [[] for _ in range(CLIENTS)]
    rv_re = re.compile(rb'data-rv="(\d+)"')

    async def client(i: int, ws):
        try:
            async for msg in ws:
                t = time.time()
                rvs = [int(x) for x in rv_re.findall(msg.encode() if isinstance(msg, str) else msg)]
                if rvs:
                    received[i].append((t, min(rvs)))
        except Exception:
            pass

    sockets = [await websockets.connect(url, origin=origin, max_size=None) for _ in range(CLIENTS)]
    tasks = [asyncio.ensure_future(client(i, ws)) for i, ws in enumerate(sockets)]
    await asyncio.sleep(2.0)          # every client has its snapshot
    for r in received:
        r.clear()
    go.write_text("go")
    await asyncio.sleep(seconds + 1.5)
    for ws in sockets:
        await ws.close()
    for t in tasks:
        t.cancel()
    return received


def _wait_started(proc: subprocess.Popen, started, log: Path, timeout: float) -> None:
    """Wait until `started()` says yes, waiting on the server process in between (it exits only
    on failure: then, or after `timeout` seconds, its log is the error)."""
    deadline = time.monotonic() + timeout
    while not started():
        if time.monotonic() > deadline:
            raise RuntimeError(log.read_text())
        try:
            proc.wait(timeout=0.05)
            raise RuntimeError(log.read_text())
        except subprocess.TimeoutExpired:
            pass


def latency_bench(batch: int = BATCH, period: float = PERIOD) -> dict:
    port = _free_port()
    tmp = Path(tempfile.mkdtemp(prefix="kubesim-bench-"))
    out, ready, go = tmp / "commits.json", tmp / "ready", tmp / "go"
    env = dict(os.environ, KUBESIM_DB=str(tmp / "db.sqlite3"), KUBESIM_VAR_DIR=str(tmp), RECONCILER_MODE="off",
               DJANGO_SETTINGS_MODULE="config.settings", PYTHONPATH=str(ROOT),
               BENCH_BATCH=str(batch), BENCH_PERIOD=str(period))
    env.pop("DATABASE_URL", None)
    proc = subprocess.Popen([sys.executable, __file__, "--serve", str(port), str(out), str(ready), str(go)],
                            cwd=ROOT, env=env, stderr=open(tmp / "server.log", "w"))
    try:
        _wait_started(proc, ready.exists, tmp / "server.log", 120)
        url = f"ws://127.0.0.1:{port}/ws/c/default/"
        received = asyncio.run(_clients(url, f"http://127.0.0.1:{port}", go, DURATION))
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    data = json.loads(out.read_text())
    commits = data["commits"]
    latencies = []
    frames = 0
    for frames_of_client in received:
        frames += len(frames_of_client)
        j = 0
        for rv, t_commit in commits:
            while j < len(frames_of_client) and frames_of_client[j][1] < rv:
                j += 1
            if j < len(frames_of_client):
                latencies.append((frames_of_client[j][0] - t_commit) * 1000)
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) >= 100 else [float("nan")] * 99
    return {
        "batch": batch, "period_ms": period * 1000, "clients": CLIENTS, "nodes": LAT_NODES, "pods": LAT_PODS, "seconds": round(data["elapsed"], 2),
        "pod_changes": data["changes"], "changes_per_second": round(data["changes"] / data["elapsed"]),
        "commits": len(commits), "frames_per_client_per_second": round(frames / CLIENTS / data["elapsed"], 1),
        "samples": len(latencies), "p50_ms": round(q[49], 1), "p90_ms": round(q[89], 1), "p99_ms": round(q[98], 1),
        "max_ms": round(latencies[-1], 1) if latencies else None,
    }


# --- 2. the first render of a big cluster, in Chromium --------------------------------------------------


def first_render_bench() -> dict:
    import urllib.request

    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="kubesim-big-"))
    env = dict(os.environ, KUBESIM_DB=str(tmp / "server.sqlite3"), KUBESIM_VAR_DIR=str(tmp), RECONCILER_MODE="off",
               DJANGO_SETTINGS_MODULE="config.settings", PYTHONPATH=str(ROOT))
    env.pop("DATABASE_URL", None)
    t = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--build", str(BIG_NODES), str(BIG_PODS)], cwd=ROOT, env=env, check=True)
    build_seconds = time.perf_counter() - t
    port = _free_port()
    server = subprocess.Popen([sys.executable, "manage.py", "serve", f"127.0.0.1:{port}", "--tls-port", str(_free_port())],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(tmp / "server.log", "w"))
    url = f"http://127.0.0.1:{port}"

    def serving() -> bool:
        try:
            urllib.request.urlopen(url + "/static/css/kubesim.css", timeout=2).read()
            return True
        except OSError:
            return False

    _wait_started(server, serving, tmp / "server.log", 60)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"])
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            t = time.perf_counter()
            page.goto(url + "/c/default/", wait_until="load")   # the very first load: cold server
            cold_ms = (time.perf_counter() - t) * 1000
            runs = []
            for _ in range(5):
                page.goto(url + "/c/default/", wait_until="load")
                timing = page.evaluate("""() => {
                    const n = performance.getEntriesByType('navigation')[0];
                    const fcp = performance.getEntriesByName('first-contentful-paint')[0];
                    return {server: n.responseStart - n.requestStart, transfer: n.responseEnd - n.responseStart,
                            dom: n.domContentLoadedEventEnd, load: n.loadEventEnd, fcp: fcp ? fcp.startTime : null,
                            bytes: n.transferSize, tiles: document.querySelectorAll('.tile').length,
                            pods: document.querySelectorAll('.pq').length};
                }""")
                runs.append(timing)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    best = min(runs, key=lambda r: r["load"])
    median = sorted(runs, key=lambda r: r["load"])[len(runs) // 2]
    return {"nodes": BIG_NODES, "pods": BIG_PODS, "build_seconds": round(build_seconds, 1),
            "tiles": median["tiles"], "pod_squares": median["pods"], "html_kb": round(median["bytes"] / 1024),
            "server_ms": round(median["server"]), "load_ms_median": round(median["load"]),
            "load_ms_best": round(best["load"]), "fcp_ms": round(median["fcp"]) if median["fcp"] else None, "cold_first_load_ms": round(cold_ms),
            "dom_content_loaded_ms": round(median["dom"])}


def run() -> None:
    lat = latency_bench()
    ok = lat["p50_ms"] <= 50 and lat["p99_ms"] <= 250
    double = latency_bench(BATCH // 2, PERIOD / 2)
    for figures, label in ((lat, "the engine's rhythm"), (double, "twice the engine's rhythm: not a budget")):
        print(f"commit → frame, {figures['clients']} WebSocket clients, {figures['changes_per_second']} pod changes/s "
              f"({figures['batch']} pods a commit every {figures['period_ms']:g} ms, {label}; "
              f"{figures['nodes']} nodes, {figures['pods']} pods, {figures['seconds']} s):")
        print(f"  p50 {figures['p50_ms']} ms · p90 {figures['p90_ms']} ms · p99 {figures['p99_ms']} ms · "
              f"max {figures['max_ms']} ms ({figures['samples']} samples, "
              f"{figures['frames_per_client_per_second']} frames/s per client)"
              + (f"  budget p50 ≤ 50, p99 ≤ 250: {'ok' if ok else 'OVER'}" if figures is lat else ""))
    big = first_render_bench()
    ok = big["load_ms_median"] <= 500
    print(f"first render, {big['nodes']} nodes + {big['pods']} pods in Chromium (1280x800, dense tiles):")
    print(f"  load {big['load_ms_median']} ms median (best {big['load_ms_best']}) · server {big['server_ms']} ms · "
          f"first paint {big['fcp_ms'] if big['fcp_ms'] is not None else 'not reported'}{' ms' if big['fcp_ms'] is not None else ''} · very first load after start {big['cold_first_load_ms']} ms · {big['html_kb']} KB · {big['tiles']} tiles, {big['pod_squares']} pods"
          f"  budget ≤ 500 ms: {'ok' if ok else 'OVER'}")
    print(json.dumps({"latency": lat, "latency_twice_the_rhythm": double, "first_render": big}))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve(int(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]), Path(sys.argv[5]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--build":
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        build_cluster(int(sys.argv[2]), int(sys.argv[3]))
    else:
        import django

        os.environ["RECONCILER_MODE"] = "off"
        django.setup()
        run()
