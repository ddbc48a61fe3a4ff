"""The official Python client (kubernetes 37) against the real server, over HTTPS with the token
and CA of a kubeconfig made by `manage.py kubeconfig`."""
from __future__ import annotations

import pytest
from kubernetes import client, dynamic, utils, watch

from k8sapi.tests.conftest import EXAMPLES

SCRIPT_POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "watched", "labels": {"role": "demo"}},
    "spec": {"restartPolicy": "Never",
             "containers": [{"name": "main", "image": "busybox:1.36", "command": ["sh", "-c", "echo hi; sleep 1"]}]},
}


def rv(event) -> int:
    return int(event["raw_object"]["metadata"]["resourceVersion"])


def until(stream, predicate, seen: list) -> dict:
    """Read events (each kept in `seen`) until one satisfies `predicate`."""
    for event in stream:
        seen.append(event)
        if predicate(event):
            return event
    raise AssertionError(f"the watch ended first: {[(e['type'], rv(e)) for e in seen]}")


@pytest.fixture(scope="module")
def daemonset(k8s_client):
    created = utils.create_from_yaml(k8s_client, str(EXAMPLES / "my-first-daemonset.yaml"))
    assert [o.metadata.name for group in created for o in group] == ["my-first-daemonset"]
    core = client.CoreV1Api(k8s_client)
    w = watch.Watch()
    running: set[str] = set()
    for event in w.stream(core.list_namespaced_pod, "default", label_selector="app=my-first-daemonset",
                          timeout_seconds=60):
        if event["object"].status.phase == "Running":
            running.add(event["object"].metadata.name)
        if len(running) == 3:
            w.stop()
    assert len(running) == 3
    return client.AppsV1Api(k8s_client).read_namespaced_daemon_set("my-first-daemonset", "default")


def test_version(k8s_client):
    info = client.VersionApi(k8s_client).get_code()
    assert (info.major, info.minor, info.git_version) == ("1", "32", "v1.32.0-kubesim")


def test_create_from_yaml_and_read_back(daemonset):
    assert daemonset.spec.update_strategy.type == "RollingUpdate"
    assert daemonset.status.desired_number_scheduled == 3
    assert daemonset.metadata.generation == 1


def test_list_with_label_and_field_selectors(k8s_client, daemonset):
    core = client.CoreV1Api(k8s_client)
    pods = core.list_namespaced_pod("default", label_selector="app=my-first-daemonset").items
    assert len(pods) == 3
    assert core.list_namespaced_pod("default", label_selector="app=other").items == []
    assert len(core.list_namespaced_pod("default", label_selector="app in (my-first-daemonset,x),!nope").items) == 3
    on_node = core.list_pod_for_all_namespaces(field_selector="spec.nodeName=node-2").items
    assert [p.spec.node_name for p in on_node] == ["node-2"]
    running = core.list_namespaced_pod("default", field_selector="status.phase=Running,metadata.namespace=default")
    assert len(running.items) == 3
    events = core.list_namespaced_event(
        "default", field_selector=f"involvedObject.kind=DaemonSet,involvedObject.uid={daemonset.metadata.uid}")
    assert {e.reason for e in events.items} == {"SuccessfulCreate"}
    with pytest.raises(client.ApiException) as exc:
        core.list_namespaced_pod("default", field_selector="spec.color=blue")
    assert exc.value.status == 400


def test_a_watch_sees_added_modified_deleted_in_order_and_resumes(k8s_client, daemonset):
    core = client.CoreV1Api(k8s_client)
    listed = core.list_namespaced_pod("default", field_selector="metadata.name=watched")
    start = listed.metadata.resource_version
    core.create_namespaced_pod("default", SCRIPT_POD)

    first = watch.Watch()
    seen: list = []
    until(first.stream(core.list_namespaced_pod, "default", field_selector="metadata.name=watched",
                       resource_version=start, timeout_seconds=60),
          lambda e: e["type"] == "MODIFIED", seen)
    first.stop()
    assert seen[0]["type"] == "ADDED"
    resume_at = first.resource_version
    assert resume_at == str(rv(seen[-1]))

    core.delete_namespaced_pod("watched", "default")
    resumed: list = []
    until(watch.Watch().stream(core.list_namespaced_pod, "default", field_selector="metadata.name=watched",
                               resource_version=resume_at, timeout_seconds=60),
          lambda e: e["type"] == "DELETED", resumed)
    versions = [rv(e) for e in seen + resumed]
    assert versions == sorted(set(versions)), "strictly increasing, nothing repeated across the reconnect"
    assert [e["type"] for e in resumed][-1] == "DELETED"
    assert {e["type"] for e in resumed[:-1]} <= {"MODIFIED"}
    # graceful deletion: the pod was first marked (MODIFIED with a deletionTimestamp), then removed
    assert any(e["raw_object"]["metadata"].get("deletionTimestamp") for e in resumed[:-1])


def test_a_watch_without_version_starts_with_the_current_objects(k8s_client, daemonset):
    core = client.CoreV1Api(k8s_client)
    events = list(watch.Watch().stream(core.list_namespaced_pod, "default", label_selector="app=my-first-daemonset",
                                       timeout_seconds=1))
    assert [e["type"] for e in events] == ["ADDED"] * 3


def test_a_stale_update_is_a_conflict(k8s_client, daemonset):
    apps = client.AppsV1Api(k8s_client)
    stale = apps.read_namespaced_daemon_set("my-first-daemonset", "default")
    apps.patch_namespaced_daemon_set("my-first-daemonset", "default", {"metadata": {"labels": {"tier": "web"}}})
    stale.metadata.labels = {"tier": "db"}
    with pytest.raises(client.ApiException) as exc:
        apps.replace_namespaced_daemon_set("my-first-daemonset", "default", stale)
    assert exc.value.status == 409
    assert '"reason":"Conflict"' in exc.value.body
    fresh = apps.read_namespaced_daemon_set("my-first-daemonset", "default")
    assert fresh.metadata.labels == {"tier": "web"}
    fresh.metadata.labels["tier"] = "db"
    assert apps.replace_namespaced_daemon_set("my-first-daemonset", "default", fresh).metadata.labels == {"tier": "db"}


def test_patch_kinds_and_server_side_apply(k8s_client, daemonset):
    apps = client.AppsV1Api(k8s_client)
    apps.patch_namespaced_daemon_set("my-first-daemonset", "default",
                                     [{"op": "add", "path": "/metadata/annotations/team", "value": "blue"}])
    ds = apps.read_namespaced_daemon_set("my-first-daemonset", "default")
    assert ds.metadata.annotations["team"] == "blue"
    resources = dynamic.DynamicClient(k8s_client).resources.get(api_version="apps/v1", kind="DaemonSet")
    manifest = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "applied", "namespace": "default"},
                "spec": {"selector": {"matchLabels": {"app": "applied"}},
                         "template": {"metadata": {"labels": {"app": "applied"}},
                                      "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}}}
    created = resources.server_side_apply(body=manifest, namespace="default", field_manager="test")
    assert created.metadata.generation == 1
    manifest["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28"
    applied = resources.server_side_apply(body=manifest, namespace="default", field_manager="test")
    assert applied.spec.template.spec.containers[0].image == "nginx:1.28"
    assert applied.metadata.generation == 2
    merged = resources.patch(name="applied", namespace="default", body={"metadata": {"labels": {"x": "y"}}},
                             content_type="application/merge-patch+json")
    assert merged.to_dict()["metadata"]["labels"] == {"x": "y"}
    resources.delete(name="applied", namespace="default")
    with pytest.raises(client.ApiException) as exc:
        apps.read_namespaced_daemon_set("applied", "default")
    assert exc.value.status == 404


def test_logs_and_dry_run(k8s_client, daemonset):
    core = client.CoreV1Api(k8s_client)
    pod = {**SCRIPT_POD, "metadata": {"generateName": "hello-"}}
    dry = core.create_namespaced_pod("default", pod, dry_run="All")
    assert dry.metadata.name.startswith("hello-")
    assert core.list_namespaced_pod("default", field_selector=f"metadata.name={dry.metadata.name}").items == []
    created = core.create_namespaced_pod("default", pod)
    w = watch.Watch()
    for event in w.stream(core.list_namespaced_pod, "default", field_selector=f"metadata.name={created.metadata.name}",
                          timeout_seconds=60):
        if event["object"].status.phase == "Succeeded":
            w.stop()
    assert core.read_namespaced_pod_log(created.metadata.name, "default") == "hi\n"
    with pytest.raises(client.ApiException) as exc:
        core.read_namespaced_pod_log(created.metadata.name, "default", container="nope")
    assert exc.value.status == 400


def test_nodes_deserialize_in_the_typed_client(k8s_client, daemonset):
    """V1NodeSystemInfo requires machineID, systemUUID and bootID: the registered status has them."""
    core = client.CoreV1Api(k8s_client)
    nodes = core.list_node().items
    assert len(nodes) == 3
    node = core.read_node(nodes[0].metadata.name)
    assert node.status.node_info.machine_id and node.status.node_info.boot_id
    assert node.status.node_info.kubelet_version == "v1.32.0"
