"""Lists on the wire: gzip for large bodies (as kube-apiserver), never a stale cached body, and
`limit` answered with the whole list (no `continue`), with kubectl, the Python client and HTTP."""
from __future__ import annotations

import gzip
import json

import pytest
import yaml
from kubernetes import client

from k8sapi.tests.test_http import TABLE, Api

REVISIONS = 60  # ~2.4 KiB each: a list of them is well over the 128 KiB compression threshold


@pytest.fixture(scope="module")
def api(live_server, kubeconfig) -> Api:
    return Api(live_server, yaml.safe_load(kubeconfig.read_text())["users"][0]["user"]["token"])


@pytest.fixture(scope="module")
def bulk(live_server) -> str:
    """A namespace of ControllerRevisions (no controller touches an ownerless revision)."""
    live_server.manage("shell", "-c", f"""
from cluster import store
from cluster.models import Cluster
c = Cluster.objects.get(name="default")
store.create(c, {{"apiVersion": "v1", "kind": "Namespace", "metadata": {{"name": "bulk"}}}})
store.create_many(c, [{{"apiVersion": "apps/v1", "kind": "ControllerRevision",
                       "metadata": {{"name": f"rev-{{i:03d}}", "namespace": "bulk"}},
                       "data": {{"spec": {{"note": "x" * 2400}}}}, "revision": i + 1}} for i in range({REVISIONS})])
""")
    return "/apis/apps/v1/namespaces/bulk/controllerrevisions"


def get(api: Api, path: str, **headers: str) -> tuple[dict, bytes]:
    response = api.connect("GET", path, headers=headers)
    assert response.status == 200
    return dict(response.headers), response.read()


def test_a_large_list_is_gzipped_when_the_client_accepts_it(api, bulk):
    headers, plain = get(api, bulk)
    assert "Content-Encoding" not in headers and len(plain) > 128 * 1024
    headers, packed = get(api, bulk, **{"Accept-Encoding": "gzip, deflate"})
    assert headers["Content-Encoding"] == "gzip" and headers["Vary"] == "Accept-Encoding"
    assert int(headers["Content-Length"]) == len(packed) < len(plain) // 5
    assert gzip.decompress(packed) == plain
    assert len(json.loads(plain)["items"]) == REVISIONS
    headers, table = get(api, bulk, **{"Accept-Encoding": "gzip", "Accept": TABLE})  # 30 short rows
    assert "Content-Encoding" not in headers and len(json.loads(table)["rows"]) == REVISIONS
    headers, _ = get(api, bulk, **{"Accept-Encoding": "gzip;q=1, identity"})  # only a bare "gzip" counts
    assert "Content-Encoding" not in headers
    headers, _ = get(api, "/api/v1/nodes", **{"Accept-Encoding": "gzip"})  # small: never compressed
    assert "Content-Encoding" not in headers


def test_kubectl_and_the_client_read_large_lists(kubectl, k8s_client, bulk):
    out = kubectl("get", "controllerrevisions", "-n", "bulk", "-o", "json", "-v=8")
    assert len(json.loads(out.stdout)["items"]) == REVISIONS
    # Go's transport asked for gzip and decoded it, dropping Content-Encoding; Vary stays
    assert "Vary: Accept-Encoding" in out.stderr
    listed = client.AppsV1Api(k8s_client).list_namespaced_controller_revision("bulk")
    assert [r.metadata.name for r in listed.items] == [f"rev-{i:03d}" for i in range(REVISIONS)]


def test_a_list_after_a_write_shows_it(api, kubectl, bulk):
    before = json.loads(get(api, bulk)[1])
    assert json.loads(get(api, bulk)[1])["metadata"]["resourceVersion"] >= before["metadata"]["resourceVersion"]
    kubectl("create", "-f", "-", input=json.dumps({
        "apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": {"name": "rev-new", "namespace": "bulk"},
        "data": {}, "revision": 99}))
    after = json.loads(get(api, bulk)[1])
    assert int(after["metadata"]["resourceVersion"]) > int(before["metadata"]["resourceVersion"])
    assert "rev-new" in {item["metadata"]["name"] for item in after["items"]}
    names = kubectl("get", "controllerrevisions", "-n", "bulk", "-o", "name").stdout.split()
    assert "controllerrevision.apps/rev-new" in names
    kubectl("delete", "controllerrevision", "rev-new", "-n", "bulk")
    assert "controllerrevision.apps/rev-new" not in kubectl("get", "controllerrevisions", "-n", "bulk",
                                                            "-o", "name").stdout.split()


def test_limit_gets_the_whole_list_without_continue(api, kubectl, k8s_client, bulk):
    """`limit` is not honoured ("servers may choose not to support the limit argument and will
    return all of the available results"): see docs/kubernetes-api.md for why."""
    listed = json.loads(get(api, bulk + "?limit=5")[1])
    assert len(listed["items"]) == REVISIONS and "continue" not in listed["metadata"]
    page = client.AppsV1Api(k8s_client).list_namespaced_controller_revision("bulk", limit=5)
    assert len(page.items) == REVISIONS and page.metadata._continue is None
    out = kubectl("get", "controllerrevisions", "-n", "bulk", "--chunk-size=5", "-v=6")
    assert out.stdout.count("\n") == REVISIONS + 1
    assert out.stderr.count("controllerrevisions?limit=5") == 1  # one request: nothing to follow
