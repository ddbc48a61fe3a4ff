"""Shared test set-up: the embedded controllers stay off unless a test starts them."""
import os

import pytest


def require_all() -> bool:
    """CI sets REQUIRE_ALL=1: a test that would skip for a missing component fails instead."""
    return os.environ.get("REQUIRE_ALL") == "1"


def skip_or_fail(reason: str):
    if require_all():
        pytest.fail(f"REQUIRE_ALL=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _reconciler_off(settings):
    settings.RECONCILER_MODE = "off"


@pytest.fixture(autouse=True)
def _shared_views_stay_unchanged():
    """The controllers read shared, read-only views (`cluster.reading`): none may be changed."""
    yield
    from cluster import reading

    changed = reading.changed_in_place()
    reading.clear()
    assert not changed, f"a shared read-only view was changed in place: {changed[0][:200]}"


# --- a real server in a subprocess (browser, kubectl and client tests) ----------------------

import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    port: int
    tls_port: int
    db: Path
    env: dict
    process: subprocess.Popen
    log: Path

    def manage(self, *args: str, check: bool = True, input: str | None = None) -> subprocess.CompletedProcess:
        """Run `manage.py ARGS` against this server's database."""
        return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, input=input,
                              capture_output=True, text=True, timeout=120, check=check)


def start_server(tmp: Path, *, extra_env: dict | None = None, port: int | None = None) -> LiveServer:
    port = port or free_port()
    tls_port = free_port()
    db = tmp / "server.sqlite3"
    env = dict(os.environ, KUBESIM_DB=str(db), KUBESIM_VAR_DIR=str(tmp), RECONCILER_MODE="embedded",
               PYTHONUNBUFFERED="1")
    env.update(extra_env or {})
    env.pop("DATABASE_URL", None)
    log = tmp / "server.log"
    process = subprocess.Popen(
        [sys.executable, "manage.py", "serve", f"127.0.0.1:{port}", "--tls-port", str(tls_port)],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/", timeout=2).read()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not start:\n{log.read_text()}")
            try:  # wait for the process to listen (or to die), not for simulated time
                process.wait(timeout=0.1)
                raise RuntimeError(f"server exited:\n{log.read_text()}")
            except subprocess.TimeoutExpired:
                pass
    return LiveServer(url, port, tls_port, db, env, process, log)


def stop_server(server: LiveServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """`manage.py serve` in a subprocess with its own SQLite database (controllers embedded)."""
    server = start_server(tmp_path_factory.mktemp("server"))
    yield server
    stop_server(server)


# --- PostgreSQL and Redis started by the test run (scale-out tests) -------------------------

import shutil  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402

PG_BIN = Path("/usr/lib/postgresql/15/bin")
_pause = threading.Event()  # never set: `_pause.wait(t)` waits on another process, not on sim time


def wait_for(check, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not happen within {timeout} s")
        _pause.wait(0.05)


@pytest.fixture(scope="session")
def postgres_url():
    """A throw-away PostgreSQL 15 cluster on a free port (initdb runs as the postgres user)."""
    if not (PG_BIN / "initdb").exists() or shutil.which("runuser") is None:
        skip_or_fail(f"PostgreSQL server binaries are not installed in {PG_BIN}")
    data = Path(tempfile.mkdtemp(prefix="kubesim-pg-"))
    data.chmod(0o755)
    shutil.chown(data, "postgres", "postgres")
    port = free_port()
    run = lambda *cmd: subprocess.run(["runuser", "-u", "postgres", "--", *cmd], check=True,  # noqa: E731
                                      capture_output=True, text=True)
    run(str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-instructions")
    run(str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(data / "server.log"), "-w", "-t", "30", "-o",
        f"-h 127.0.0.1 -p {port} -k {data} -c fsync=off -c synchronous_commit=off -c full_page_writes=off", "start")
    yield f"postgres://postgres@127.0.0.1:{port}"
    run(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
    shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_url():
    server = shutil.which("redis-server")
    if server is None:
        skip_or_fail("redis-server is not installed")
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="kubesim-redis-")
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", workdir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def up() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    wait_for(up, "redis-server")
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)
    shutil.rmtree(workdir, ignore_errors=True)
