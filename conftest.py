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
               PYTHONUNBUFFERED="1", **(extra_env or {}))
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
