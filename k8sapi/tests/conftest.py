"""Helpers for driving the real API: a kubeconfig from `manage.py kubeconfig`, the real kubectl
with a private HOME (discovery and the dispatcher's version cache never leak between modules),
and the official Python client."""
from __future__ import annotations

import os
import queue
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import skip_or_fail

KUBECTL = "/usr/bin/kubectl"
ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


@pytest.fixture(autouse=True)
def _live_server_helper():
    """pytest-django's helper of that name prepares a test database for tests that use a
    `live_server` fixture; ours is a real server process with its own database."""
    yield


@pytest.fixture(autouse=True)
def _fresh_api_caches():
    """In-process tests roll their database back, so a later test can build a cluster with the
    same primary key, uids and resourceVersions as an earlier one: the per-process caches, which
    rely on those never being reused (as in a real database), start empty in every test."""
    from k8sapi.cache import CACHE, RESPONSES

    CACHE.clear()
    RESPONSES.clear()
    yield


def https_server(live_server, cluster: str = "default") -> str:
    return f"https://127.0.0.1:{live_server.tls_port}/k8s/clusters/{cluster}"


def http_server(live_server, cluster: str = "default") -> str:
    return f"{live_server.url}/k8s/clusters/{cluster}"


def write_kubeconfig(live_server, path: Path, *, cluster: str = "default") -> Path:
    out = live_server.manage("kubeconfig", "--cluster", cluster, "--server", https_server(live_server, cluster))
    path.write_text(out.stdout)
    return path


@pytest.fixture(scope="module")
def kubeconfig(live_server, tmp_path_factory) -> Path:
    return write_kubeconfig(live_server, tmp_path_factory.mktemp("kube") / "config")


@dataclass
class Kubectl:
    """Runs /usr/bin/kubectl with one kubeconfig and a private HOME, in a working directory."""

    kubeconfig: Path
    home: Path
    cwd: Path

    @property
    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KUBE")}
        return dict(env, HOME=str(self.home))

    def argv(self, args: tuple[str, ...]) -> list[str]:
        return [KUBECTL, "--kubeconfig", str(self.kubeconfig), "--cache-dir", str(self.home / "cache"), *args]

    def __call__(self, *args: str, check: bool = True, input: str | None = None,
                 timeout: float = 90) -> subprocess.CompletedProcess:
        result = subprocess.run(self.argv(args), cwd=self.cwd, env=self.env, input=input, capture_output=True,
                                text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
        return result

    def start(self, *args: str) -> "Stream":
        """A long-running kubectl (get -w, logs -f) whose output is read line by line."""
        process = subprocess.Popen(self.argv(args), cwd=self.cwd, env=self.env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        return Stream(process)


class Stream:
    def __init__(self, process: subprocess.Popen):
        self.process = process
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for text in self.process.stdout:
            self.lines.put(text.rstrip("\n"))
        self.lines.put(None)

    def wait_for(self, predicate, timeout: float = 60) -> str:
        """The first new line for which `predicate` holds (blocking on the output, not sleeping)."""
        while True:
            try:
                text = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError("no matching line; output so far:\n" + "\n".join(self.seen)) from None
            if text is None:
                raise AssertionError("kubectl ended; output:\n" + "\n".join(self.seen))
            self.seen.append(text)
            if predicate(text):
                return text

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def require_kubectl() -> None:
    if not os.path.exists(KUBECTL):
        skip_or_fail("kubectl is not installed at /usr/bin/kubectl")


@pytest.fixture(scope="module")
def kubectl(kubeconfig, tmp_path_factory) -> Kubectl:
    require_kubectl()
    work = tmp_path_factory.mktemp("work")
    return Kubectl(kubeconfig, tmp_path_factory.mktemp("home"), work)


@pytest.fixture(scope="module")
def k8s_client(kubeconfig):
    """The official client, configured from the same kubeconfig (HTTPS, the CA, the token)."""
    from kubernetes import client, config

    configuration = client.Configuration()
    config.load_kube_config(config_file=str(kubeconfig), client_configuration=configuration)
    api = client.ApiClient(configuration)
    yield api
    api.close()
