"""The wire, checked directly: discovery and OpenAPI by Accept header, Status bodies for every
failure, and the watch protocol (Table watches, bookmarks, initial events, 410, selectors)."""
from __future__ import annotations

import http.client
import json
from urllib.parse import urlencode

import pytest
import yaml

from k8sapi.negotiation import DISCOVERY_GROUP

PREFIX = "/k8s/clusters/default"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"


class Api:
    """Plain HTTP to the live server, as a token-carrying client (the Python client does so)."""

    def __init__(self, live_server, token: str | None):
        self.port = live_server.port
        self.token = token

    def connect(self, method: str, path: str, *, body: object = None, headers: dict | None = None,
                content_type: str = "application/json") -> http.client.HTTPResponse:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = dict(headers or {})
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            sent["Content-Type"] = content_type
        conn.request(method, path if path.startswith("/k8s") else PREFIX + path, body=data, headers=sent)
        return conn.getresponse()

    def call(self, method: str, path: str, **kwargs) -> tuple[int, dict, object]:
        response = self.connect(method, path, **kwargs)
        raw = response.read()
        content_type = response.headers.get("Content-Type", "")
        body = json.loads(raw) if content_type.startswith("application/json") else raw.decode()
        return response.status, dict(response.headers), body

    def events(self, path: str, count: int | None = None, accept: str = "application/json", until=None,
               **params: str) -> list[dict]:
        """The events of a watch up to the `count`th, or to the first one `until` accepts, or
        to its end."""
        response = self.connect("GET", f"{path}?{urlencode({'watch': 'true', **params})}", headers={"Accept": accept})
        assert response.status == 200
        events: list[dict] = []
        while len(events) != count:
            line = response.readline()
            if not line:
                break
            events.append(json.loads(line))
            if until is not None and until(events[-1]):
                break
        response.close()
        return events


@pytest.fixture(scope="module")
def api(live_server, kubeconfig) -> Api:
    return Api(live_server, yaml.safe_load(kubeconfig.read_text())["users"][0]["user"]["token"])


@pytest.fixture(scope="module")
def guest(live_server) -> Api:
    return Api(live_server, None)


def pod(name: str, **labels) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels},
            "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}


# --- version, discovery, OpenAPI -------------------------------------------------------------


@pytest.mark.parametrize("path", ["/version", "/version/"])
def test_version_with_and_without_slash(guest, path):
    status, _, body = guest.call("GET", path)
    assert status == 200
    assert (body["major"], body["minor"]) == ("1", "32")


def test_legacy_discovery(guest):
    _, headers, api = guest.call("GET", "/api")
    assert api["kind"] == "APIVersions" and api["versions"] == ["v1"]
    assert headers["Content-Type"] == "application/json"
    _, _, apis = guest.call("GET", "/apis")
    assert [g["name"] for g in apis["groups"]] == ["apps", "batch"]
    _, _, core = guest.call("GET", "/api/v1")
    by_name = {r["name"]: r for r in core["resources"]}
    assert by_name["pods"]["shortNames"] == ["po"] and by_name["pods"]["categories"] == ["all"]
    assert by_name["pods/eviction"] == {"name": "pods/eviction", "singularName": "", "namespaced": True,
                                        "kind": "Eviction", "verbs": ["create"], "group": "policy", "version": "v1"}
    assert by_name["pods/log"]["verbs"] == ["get"]
    assert "deletecollection" not in by_name["namespaces"]["verbs"]
    _, _, apps = guest.call("GET", "/apis/apps/v1")
    assert {r["name"] for r in apps["resources"]} == {"daemonsets", "daemonsets/status", "controllerrevisions"}
    assert guest.call("GET", "/apis/apps")[2]["preferredVersion"] == {"groupVersion": "apps/v1", "version": "v1"}


@pytest.mark.parametrize("version", ["v2", "v2beta1"])
def test_aggregated_discovery_answers_the_version_asked_for(guest, version):
    accept = f"application/json;g={DISCOVERY_GROUP};v={version};as=APIGroupDiscoveryList,application/json"
    _, headers, body = guest.call("GET", "/apis", headers={"Accept": accept})
    assert headers["Content-Type"] == f"application/json;g={DISCOVERY_GROUP};v={version};as=APIGroupDiscoveryList"
    assert body["apiVersion"] == f"apidiscovery.k8s.io/{version}"
    assert [item["metadata"]["name"] for item in body["items"]] == ["apps", "batch"]
    _, _, core = guest.call("GET", "/api", headers={"Accept": accept})
    pods = next(r for r in core["items"][0]["versions"][0]["resources"] if r["resource"] == "pods")
    assert pods["scope"] == "Namespaced"
    assert {s["subresource"] for s in pods["subresources"]} == {"log", "eviction", "status"}


def test_openapi_v3_stub(guest):
    _, _, index = guest.call("GET", "/openapi/v3")
    assert set(index["paths"]) == {"api/v1", "apis/apps/v1", "apis/batch/v1"}
    url = index["paths"]["apis/apps/v1"]["serverRelativeURL"]
    status, headers, doc = guest.call("GET", PREFIX + url)
    assert status == 200 and "immutable" in headers["Cache-Control"]
    patch = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/daemonsets/{name}"]["patch"]
    assert patch["x-kubernetes-group-version-kind"] == {"group": "apps", "version": "v1", "kind": "DaemonSet"}
    assert [p["name"] for p in patch["parameters"]] == ["fieldValidation"]
    assert "requestBody" not in patch
    status, _, body = guest.call("GET", "/openapi/v2")
    assert status == 404 and body["kind"] == "Status"


# --- failures are Status objects, never HTML -------------------------------------------------


@pytest.mark.parametrize("method, path, expected", [
    ("GET", "/api/v1/widgets", (404, "NotFound", "the server could not find the requested resource")),
    ("GET", "/k8s/clusters/nowhere/api/v1/pods", (404, "NotFound", 'cluster "nowhere" not found')),
    ("GET", "/k8s/elsewhere", (404, "NotFound", "the server could not find the requested resource")),
    ("PUT", "/api/v1/namespaces/default/pods", (405, "MethodNotAllowed",
                                                "the server does not allow this method on the requested resource")),
    ("DELETE", "/api/v1/namespaces", (405, "MethodNotAllowed",
                                      "the server does not allow this method on the requested resource")),
])
def test_routing_errors(api, method, path, expected):
    status, headers, body = api.call(method, path)
    assert headers["Content-Type"] == "application/json"
    assert (status, body["reason"], body["message"]) == expected
    assert body["kind"] == "Status" and body["code"] == status


def test_request_errors(api):
    status, _, body = api.call("POST", "/api/v1/namespaces/default/pods", body=b"{not json")
    assert (status, body["reason"]) == (400, "BadRequest")
    status, _, body = api.call("POST", "/api/v1/namespaces/default/pods", body=pod("x") | {"kind": "Node"})
    assert (status, body["message"]) == (400, "the kind in the data (Node) does not match the expected kind (Pod)")
    status, _, body = api.call("POST", "/api/v1/namespaces/kube-system/pods",
                               body={**pod("x"), "metadata": {"name": "x", "namespace": "default"}})
    assert (status, body["reason"]) == (400, "BadRequest")
    status, _, body = api.call("PATCH", "/api/v1/nodes/node-1", body={"spec": {}}, content_type="text/plain")
    assert (status, body["reason"]) == (415, "UnsupportedMediaType")
    status, _, body = api.call("POST", "/api/v1/namespaces/nowhere/pods", body=pod("x"))
    assert (status, body["message"]) == (404, 'namespaces "nowhere" not found')
    status, _, body = api.call("POST", "/api/v1/namespaces/default/pods", body=pod("x"), headers={"X": "y"},
                               content_type="application/json")
    assert status == 201
    status, _, body = api.call("DELETE", "/api/v1/namespaces/default/pods/x",
                               body={"preconditions": {"uid": "not-the-uid"}})
    assert (status, body["reason"]) == (409, "Conflict")
    assert body["message"].startswith("Precondition failed: UID in precondition: not-the-uid")


def test_anonymous_reads_but_cannot_write(guest):
    status, _, body = guest.call("GET", "/api/v1/nodes")
    assert status == 200 and len(body["items"]) == 3
    status, _, body = guest.call("POST", "/api/v1/namespaces/default/pods", body=pod("x"))
    assert (status, body["reason"]) == (403, "Forbidden")
    assert body["details"] == {"kind": "pods"}


def test_delete_answers(api):
    api.call("POST", "/apis/apps/v1/namespaces/default/controllerrevisions",
             body={"apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": {"name": "r1"}, "revision": 1,
                   "data": {"spec": {}}})
    status, _, body = api.call("DELETE", "/apis/apps/v1/namespaces/default/controllerrevisions/r1")
    assert status == 200
    assert body["kind"] == "Status" and body["status"] == "Success"
    assert body["details"]["name"] == "r1" and body["details"]["group"] == "apps"
    api.call("POST", "/api/v1/namespaces/default/pods", body=pod("y"))
    status, _, body = api.call("DELETE", "/api/v1/namespaces/default/pods/y", body={"gracePeriodSeconds": 0})
    assert status == 200 and body["kind"] == "Pod"


# --- watch -----------------------------------------------------------------------------------


def current_rv(api, path: str) -> str:
    return api.call("GET", path)[2]["metadata"]["resourceVersion"]


def test_table_watch_sends_columns_once(api):
    start = current_rv(api, "/api/v1/namespaces/default/pods")
    api.call("POST", "/api/v1/namespaces/default/pods", body=pod("t1"))
    api.call("PATCH", "/api/v1/namespaces/default/pods/t1", body={"metadata": {"labels": {"a": "b"}}},
             content_type="application/merge-patch+json")
    events = api.events("/api/v1/namespaces/default/pods", resourceVersion=start, accept=TABLE,
                        fieldSelector="metadata.name=t1",
                        until=lambda e: e["object"]["rows"][0]["object"]["metadata"].get("labels"))
    assert events[0]["type"] == "ADDED" and {e["type"] for e in events[1:]} == {"MODIFIED"}
    assert [e["object"]["kind"] for e in events] == ["Table"] * len(events)
    assert events[0]["object"]["columnDefinitions"][0]["name"] == "Name"
    assert [e["object"]["columnDefinitions"] for e in events[1:]] == [None] * (len(events) - 1)
    row = events[0]["object"]["rows"][0]
    assert row["cells"][:3] == ["t1", "0/1", "Pending"]
    assert row["object"]["kind"] == "PartialObjectMetadata"


def test_bookmarks_and_the_end_of_a_timed_watch(api):
    start = current_rv(api, "/api/v1/nodes")
    events = api.events("/api/v1/nodes", resourceVersion=start, allowWatchBookmarks="true", timeoutSeconds="1")
    assert events[-1]["type"] == "BOOKMARK"
    assert events[-1]["object"]["kind"] == "Node"
    assert int(events[-1]["object"]["metadata"]["resourceVersion"]) >= int(start)


def test_send_initial_events_ends_with_the_marked_bookmark(api):
    events = api.events("/api/v1/nodes", 4, sendInitialEvents="true", resourceVersionMatch="NotOlderThan",
                        allowWatchBookmarks="true")
    assert [e["type"] for e in events] == ["ADDED", "ADDED", "ADDED", "BOOKMARK"]
    assert events[3]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


def test_a_selector_watch_sees_objects_come_and_go(api):
    start = current_rv(api, "/api/v1/namespaces/default/pods")
    api.call("POST", "/api/v1/namespaces/default/pods", body=pod("s1", tier="web"))
    api.call("POST", "/api/v1/namespaces/default/pods", body=pod("s2", tier="db"))
    relabel = {"metadata": {"labels": {"tier": "web"}}}
    api.call("PATCH", "/api/v1/namespaces/default/pods/s2", body=relabel, content_type="application/merge-patch+json")
    api.call("PATCH", "/api/v1/namespaces/default/pods/s1", body={"metadata": {"labels": {"tier": "db"}}},
             content_type="application/strategic-merge-patch+json")
    events = api.events("/api/v1/namespaces/default/pods", resourceVersion=start, labelSelector="tier=web",
                        until=lambda e: e["type"] == "DELETED")
    seen = [(e["type"], e["object"]["metadata"]["name"]) for e in events if e["type"] != "MODIFIED"]
    assert seen == [("ADDED", "s1"), ("ADDED", "s2"), ("DELETED", "s1")]  # the scheduler's updates in between
    assert {e["object"]["metadata"]["labels"]["tier"] for e in events[:-1]} == {"web"}


def test_a_compacted_version_is_410_expired(api, live_server):
    start = int(current_rv(api, "/api/v1/nodes"))
    # compaction is simulated by dropping the oldest entries of the change log
    live_server.manage("shell", "-c", f"from cluster.models import Change\n"
                                      f"Change.objects.filter(resource_version__lt={start - 5}).delete()")
    events = api.events("/api/v1/nodes", 1, resourceVersion="1")
    assert events == [{"type": "ERROR", "object": {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": f"too old resource version: 1 ({start - 6})", "reason": "Expired", "code": 410}}]
    assert api.events("/api/v1/nodes", 1, resourceVersion=str(start), timeoutSeconds="1") == []
