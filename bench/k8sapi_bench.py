"""The Kubernetes API: `kubectl get pods -A` on 10,000 pods, and create-to-watch-event latency.

Goals (issue 7): the list under 1 s wall, a watch event p99 under 100 ms after its create.
A real `manage.py serve` (daphne, HTTPS for kubectl) runs on a database of its own in a
temporary directory, with the controllers off, so the 10,000 pods stay put and only the API is
measured. The list figures separate the server's part (request to last byte, measured here:
cold, then repeated at the same resourceVersion, after a write, after the simulated clock moved
one second, as it does between two requests under `make run`) from kubectl's own share: its
start-up (`kubectl version --client`) and the same `get` against a static replay of exactly
what the server sent it (gzip-encoded, as kubectl asks); `kubectl get` is also timed with the
clock moved before each run. kubectl
reuses its discovery cache between runs (one HOME per kubectl), as a user's kubectl does. A
replay of the same Table in pages of 500 (what a kube-apiserver answers to kubectl's
`?limit=500`) shows what pagination would cost kubectl.
"""
from __future__ import annotations

import gzip
import http.client
import http.server
import json
import os
import resource
import queue
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CLUSTER = "api-bench"
PODS = 10_000
BATCH = 500
LIST_RUNS = 7
PAGED_RUNS = 3
PAGE = 500  # kubectl's --chunk-size default
WATCHED_CREATES = 200
KUBECTL = "/usr/bin/kubectl"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
DISCOVERY = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed() -> None:
    """Run in the server's environment (see `Server.prepare`): the cluster and its pods."""
    from cluster import store
    from cluster.bootstrap import ensure_cluster, load_demo

    cluster = ensure_cluster(CLUSTER, seed=7007)  # a seed of its own: uids are drawn from it
    load_demo(cluster)
    for start in range(0, PODS, BATCH):
        store.create_many(cluster, [
            {"apiVersion": "v1", "kind": "Pod",
             "metadata": {"name": f"bench-{i:05d}", "namespace": "default" if i % 2 else "kube-system",
                          "labels": {"app": "bench", "shard": str(i % 10)}},
             "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}
            for i in range(start, min(start + BATCH, PODS))])


class Server:
    """`manage.py serve` on a fresh database in `directory`, seeded with the pods."""

    def __init__(self, directory: Path) -> None:
        self.env = dict(os.environ, KUBESIM_DB=str(directory / "db.sqlite3"), KUBESIM_VAR_DIR=str(directory),
                        RECONCILER_MODE="off", PYTHONUNBUFFERED="1", DJANGO_SETTINGS_MODULE="config.settings")
        self.env.pop("DATABASE_URL", None)
        self.manage("migrate")
        subprocess.run([sys.executable, "-c", "import django; django.setup(); "
                        "from bench.k8sapi_bench import seed; seed()"], cwd=ROOT, env=self.env, check=True)
        self.port, self.tls_port = free_port(), free_port()
        self.log = (directory / "server.log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "serve", f"127.0.0.1:{self.port}", "--tls-port", str(self.tls_port),
             "--no-demo"], cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while not self._answers():
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start; see {self.log.name}")
            try:  # wait on the process (it may die), not on a clock
                self.process.wait(timeout=0.1)
                raise RuntimeError(f"the server exited; see {self.log.name}")
            except subprocess.TimeoutExpired:
                pass

    def manage(self, *args: str) -> str:
        return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, check=True,
                              capture_output=True, text=True).stdout

    def _answers(self) -> bool:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            conn.request("GET", f"/k8s/clusters/{CLUSTER}/version")
            return conn.getresponse().status == 200
        except OSError:
            return False

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


STEPPER = f"""
import sys
from datetime import timedelta
import django
django.setup()
from cluster.clock import SimClock
from cluster.models import Cluster
clock = SimClock(Cluster.objects.get(name={CLUSTER!r}))
for _ in sys.stdin:
    clock.step(timedelta(seconds=1))
    print("stepped", flush=True)
"""


class Clock:
    """Moves the server's simulated clock one second per `step()`, from a process of its own on
    the server's database (started once, so a step costs a write, not a Django start-up)."""

    def __init__(self, server: Server) -> None:
        self.process = subprocess.Popen([sys.executable, "-c", STEPPER], cwd=ROOT, env=server.env, text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def step(self) -> None:
        self.process.stdin.write("\n")
        self.process.stdin.flush()
        assert self.process.stdout.readline() == "stepped\n"

    def stop(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=10)


def request(port: int, token: str, method: str, path: str, body: dict | None = None,
            accept: str = "application/json", content_type: str = "application/json",
            encoding: str | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Accept": accept}
    if encoding:
        headers["Accept-Encoding"] = encoding
    data = None
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), content_type
    conn.request(method, f"/k8s/clusters/{CLUSTER}{path}", body=data, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


class Replay:
    """A static HTTP server replaying recorded answers (kubectl's own share of a list, measured
    without any server work). `pages` answers /api/v1/pods page by page (`?continue=N`). Bodies
    over 128 KiB go gzip-encoded to a client that accepts it, as the server sends them."""

    def __init__(self, answers: dict[str, tuple[str, bytes]], pages: list[bytes] | None = None):
        packed = {body: gzip.compress(body, compresslevel=1) for _, body in answers.values() if len(body) > 128 * 1024}
        packed.update((page, gzip.compress(page, compresslevel=1)) for page in pages or () if len(page) > 128 * 1024)

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                path, _, query = self.path.partition("?")
                if pages is not None and path == "/api/v1/pods":
                    token = dict(p.split("=", 1) for p in query.split("&") if "=" in p).get("continue", "0")
                    found: tuple[str, bytes] | None = ("application/json", pages[int(token)])
                else:
                    found = answers.get(path)
                content_type, body = found or ("application/json", b"{}")
                encoded = body in packed and "gzip" in (self.headers.get("Accept-Encoding") or "")
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", content_type)
                if encoded:
                    body = packed[body]
                    self.send_header("Content-Encoding", "gzip")
                    self.send_header("Vary", "Accept-Encoding")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def paged(table: bytes, size: int) -> list[bytes]:
    """The Table in pages of `size` rows, each with the `continue` token of the next, as a
    kube-apiserver answers `limit` (the tokens here are just page numbers)."""
    doc = json.loads(table)
    rows = doc.pop("rows")
    pages = []
    for start in range(0, len(rows), size):
        meta = dict(doc["metadata"])
        if start + size < len(rows):
            meta.update({"continue": str(len(pages) + 1), "remainingItemCount": len(rows) - start - size})
        pages.append(json.dumps({**doc, "metadata": meta, "rows": rows[start:start + size]},
                                separators=(",", ":")).encode())
    return pages


def kubectl_runs(*commands: tuple, runs: int = LIST_RUNS,
                 lines: int | None = PODS + 1) -> list[tuple[list[float], list[float]]]:
    """Wall and CPU (user + system) seconds of each (argv, HOME[, before]) command, `runs` times,
    the commands taking turns (so a change in the machine's load falls on all of them alike), after
    one run each that fills kubectl's caches (discovery, the dispatcher's version check). `before`,
    if given, is called (untimed) before each run of its command."""

    def kubectl(argv: list[str], home: Path) -> tuple[float, float]:
        before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
        out = subprocess.run(argv, env=dict(os.environ, HOME=str(home)), capture_output=True, text=True,
                             check=True).stdout
        wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
        assert lines is None or out.count("\n") == lines
        return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

    for argv, home, *_ in commands:
        kubectl(argv, home)
    measured: list[list[tuple[float, float]]] = [[] for _ in commands]
    for _ in range(runs):
        for i, (argv, home, *before) in enumerate(commands):
            for prepare in before:
                prepare()
            measured[i].append(kubectl(argv, home))
    return [([w for w, _ in m], [c for _, c in m]) for m in measured]


def ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:4.0f} ms, best {min(values) * 1000:4.0f} ms"


def bench_list(server: Server, clock: Clock, token: str, kubeconfig: Path, directory: Path) -> None:
    print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    answers: dict[str, tuple[str, bytes]] = {}

    def server_list(encoding: str | None = None):
        status, body = request(server.port, token, "GET", "/api/v1/pods?limit=500", accept=TABLE, encoding=encoding)
        assert status == 200 and (encoding or body.count(b'"cells"') == PODS)
        if not encoding:
            answers["/api/v1/pods"] = ("application/json", body)

    def after_a_write():
        patch = {"metadata": {"annotations": {"bench/touched": str(time.perf_counter())}}}
        status, _ = request(server.port, token, "PATCH", "/api/v1/namespaces/default/pods/bench-00001", patch,
                            content_type="application/merge-patch+json")
        assert status == 200
        return timed(server_list)

    def after_the_clock_moved(encoding: str | None = None):
        clock.step()
        return timed(lambda: server_list(encoding))

    cold = timed(server_list)
    moved = [after_the_clock_moved() for _ in range(LIST_RUNS)]
    moved_packed = [after_the_clock_moved("gzip") for _ in range(LIST_RUNS)]
    written = [after_a_write() for _ in range(LIST_RUNS)]
    server_s = [timed(server_list) for _ in range(LIST_RUNS)]
    packed = [timed(lambda: server_list("gzip")) for _ in range(LIST_RUNS)]
    print(f"server: Table of {PODS} pods, request to last byte: cold {cold * 1000:5.0f} ms; "
          f"again at the same resourceVersion {ms(server_s)}; gzip-encoded (what kubectl gets) {ms(packed)}; "
          f"after a write to one pod {ms(written)}")
    print(f"  after the simulated clock moved 1 s (same resourceVersion, every AGE moved): {ms(moved)}; "
          f"gzip-encoded {ms(moved_packed)}")
    if not os.path.exists(KUBECTL):
        print("kubectl get pods -A: skipped (kubectl is not installed at /usr/bin/kubectl)")
        return
    [(startup, _)] = kubectl_runs(([KUBECTL, "version", "--client"], directory / "home"), lines=None)
    print(f"kubectl version --client (start-up): {ms(startup)}")
    for path in ("/api", "/apis"):
        status, body = request(server.port, token, "GET", path, accept=DISCOVERY)
        answers[path] = (DISCOVERY, body)
    answers["/version"] = ("application/json", request(server.port, token, "GET", "/version")[1])
    replay, paged_replay = Replay(answers), Replay(answers, paged(answers["/api/v1/pods"][1], PAGE))
    try:
        get = [KUBECTL, "--kubeconfig", str(kubeconfig), "get", "pods", "-A"]
        (walls, cpu), (floor, floor_cpu), (ticking, _) = kubectl_runs(
            (get, directory / "home"),
            ([KUBECTL, "--server", replay.url, "get", "pods", "-A"], directory / "replay-home"),
            (get, directory / "home", clock.step))
        [(pages, _)] = kubectl_runs(([KUBECTL, "--server", paged_replay.url, "get", "pods", "-A"],
                                     directory / "paged-home"), runs=PAGED_RUNS)
    finally:
        replay.stop()
        paged_replay.stop()
    share = [w - f for w, f in zip(walls, floor)]
    print(f"kubectl get pods -A ({PODS} pods): wall {ms(walls)} (goal < 1000 ms); "
          f"kubectl's CPU median {statistics.median(cpu) * 1000:4.0f} ms")
    print(f"  the same kubectl against a static replay of what the server sent it, run in turns with it: wall "
          f"{ms(floor)}, CPU median {statistics.median(floor_cpu) * 1000:4.0f} ms (kubectl's own share); "
          f"the server's share (TLS and the version check included), run by run: median "
          f"{statistics.median(share) * 1000:4.0f} ms")
    print(f"  the same kubectl with the simulated clock moved 1 s before each run (as under `make run`): "
          f"wall {ms(ticking)}; minus the replay, run by run: median "
          f"{statistics.median(t - f for t, f in zip(ticking, floor)) * 1000:4.0f} ms")
    print(f"  the same Table replayed in {PODS // PAGE} pages of {PAGE}, as a kube-apiserver answers ?limit={PAGE}: "
          f"wall {ms(pages)} (kubectl's client-side rate limit, 5 requests/s after a burst of 10)")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def bench_watch(server: Server, token: str) -> None:
    status, body = request(server.port, token, "GET", "/api/v1/namespaces/default/pods?labelSelector=app%3Dwatched")
    start_rv = json.loads(body)["metadata"]["resourceVersion"]
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    conn.request("GET", f"/k8s/clusters/{CLUSTER}/api/v1/namespaces/default/pods?watch=true"
                        f"&labelSelector=app%3Dwatched&resourceVersion={start_rv}",
                 headers={"Authorization": f"Bearer {token}"})
    stream = conn.getresponse()
    arrived: dict[str, float] = {}
    arrivals: queue.Queue[tuple[str, float]] = queue.Queue()

    def read():
        try:
            for line in iter(stream.readline, b""):
                event = json.loads(line)
                if event["type"] == "ADDED":
                    arrivals.put((event["object"]["metadata"]["name"], time.perf_counter()))
        except (OSError, ValueError):  # the connection closed under the reader: the bench is over
            pass

    threading.Thread(target=read, daemon=True).start()
    sent: dict[str, tuple[float, float]] = {}
    for i in range(WATCHED_CREATES):
        name = f"watched-{i:03d}"
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": "watched"}},
               "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}
        before = time.perf_counter()
        status, _ = request(server.port, token, "POST", "/api/v1/namespaces/default/pods", pod)
        assert status == 201
        sent[name] = (before, time.perf_counter())
        seen, at = arrivals.get(timeout=10)  # one create at a time: the next once this one is seen
        assert seen == name
        arrived[name] = at
    conn.close()
    from_request = sorted((arrived[n] - s[0]) * 1000 for n, s in sent.items())
    from_commit = sorted(max(arrived[n] - s[1], 0.0) * 1000 for n, s in sent.items())

    def pct(values: list[float], p: float) -> float:
        return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]

    print(f"watch ADDED after create ({WATCHED_CREATES} creates, {PODS} pods stored): "
          f"from the POST p50 {pct(from_request, 50):5.1f} ms, p99 {pct(from_request, 99):5.1f} ms "
          f"(goal p99 < 100 ms); from its response p50 {pct(from_commit, 50):5.1f} ms, "
          f"p99 {pct(from_commit, 99):5.1f} ms")


def run() -> None:
    directory = Path(tempfile.mkdtemp(prefix="k8sapi-bench-"))
    server = Server(directory)
    clock = Clock(server)
    try:
        server_url = f"https://127.0.0.1:{server.tls_port}/k8s/clusters/{CLUSTER}"
        kubeconfig = directory / "kubeconfig"
        kubeconfig.write_text(server.manage("kubeconfig", "--cluster", CLUSTER, "--server", server_url))
        token = yaml.safe_load(kubeconfig.read_text())["users"][0]["user"]["token"]
        bench_list(server, clock, token, kubeconfig, directory)
        bench_watch(server, token)
    finally:
        clock.stop()
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)
