"""The store: the one write path. Resource versions, generations, the change log, names."""
from __future__ import annotations

import copy

import pytest

from cluster import store
from cluster.bootstrap import ensure_cluster, node_manifest
from cluster.errors import AlreadyExists, Conflict, Invalid, NotFound
from cluster.models import Change, DaemonSet, Node, Pod

pytestmark = pytest.mark.django_db

DAEMONSET = {
    "apiVersion": "apps/v1",
    "kind": "DaemonSet",
    "metadata": {"name": "my-first-daemonset"},
    "spec": {
        "selector": {"matchLabels": {"app": "my-first-daemonset"}},
        "template": {
            "metadata": {"labels": {"app": "my-first-daemonset"}},
            "spec": {"containers": [{"name": "c", "image": "nginx:latest"}]},
        },
    },
}


def pod(name: str | None = None, **meta) -> dict:
    metadata = {"name": name} if name else {}
    metadata.update(meta)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata,
            "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]}}


@pytest.fixture
def cluster():
    return ensure_cluster()


def test_default_cluster_and_namespaces_exist(cluster):
    assert cluster.name == "default"
    names = set(store.model_for("Namespace").objects.filter(cluster=cluster).values_list("name", flat=True))
    assert {"default", "kube-system"} <= names


def test_create_assigns_metadata_and_logs_the_change(cluster):
    created = store.create(cluster, copy.deepcopy(DAEMONSET))
    meta = created["metadata"]
    assert meta["namespace"] == "default"
    assert meta["generation"] == 1
    assert len(meta["uid"]) == 36
    assert meta["creationTimestamp"] == "2026-01-01T00:00:00Z"
    row = DaemonSet.objects.get(name="my-first-daemonset")
    assert row.to_dict() == created
    change = Change.objects.filter(cluster=cluster).latest("resource_version")
    assert (change.type, change.kind, change.name) == ("ADDED", "DaemonSet", "my-first-daemonset")
    assert str(change.resource_version) == meta["resourceVersion"]


def test_resource_versions_strictly_increase(cluster):
    rvs = [int(store.create(cluster, pod(f"p{i}"))["metadata"]["resourceVersion"]) for i in range(5)]
    batch = store.create_many(cluster, [pod(f"q{i}") for i in range(5)])
    rvs += [int(o["metadata"]["resourceVersion"]) for o in batch]
    assert rvs == sorted(rvs) and len(set(rvs)) == len(rvs)
    logged = list(Change.objects.filter(cluster=cluster).values_list("resource_version", flat=True))
    assert logged == sorted(logged) and len(set(logged)) == len(logged)


def test_generate_name_uses_the_kubernetes_alphabet_and_the_seed(cluster):
    created = store.create(cluster, pod(generateName="my-first-daemonset-"))
    name = created["metadata"]["name"]
    suffix = name.removeprefix("my-first-daemonset-")
    assert len(suffix) == 5 and set(suffix) <= set(store.NAME_ALPHABET)


def test_names_replay_identically_from_the_same_seed(cluster):
    cluster.refresh_from_db()
    start = cluster.name_counter
    first = [store.create(cluster, pod(generateName="x-"))["metadata"]["name"] for _ in range(3)]
    Pod.objects.all().delete()
    type(cluster).objects.filter(pk=cluster.pk).update(name_counter=start)
    cluster.refresh_from_db()
    again = [store.create(cluster, pod(generateName="x-"))["metadata"]["name"] for _ in range(3)]
    assert first == again


def test_generation_bumps_only_when_the_spec_changes(cluster):
    store.create(cluster, copy.deepcopy(DAEMONSET))
    live = DaemonSet.objects.get().to_dict()
    live["metadata"]["labels"] = {"team": "infra"}
    assert store.update(cluster, live)["metadata"]["generation"] == 1
    live = DaemonSet.objects.get().to_dict()
    live["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.27"
    updated = store.update(cluster, live)
    assert updated["metadata"]["generation"] == 2
    assert updated["metadata"]["annotations"]["deprecated.daemonset.template.generation"] == "2"


def test_an_unchanged_update_writes_nothing(cluster):
    store.create(cluster, copy.deepcopy(DAEMONSET))
    before = Change.objects.count()
    live = DaemonSet.objects.get().to_dict()
    store.update(cluster, live)
    store.update_status(DaemonSet.objects.get(), live["status"])
    assert Change.objects.count() == before


def test_a_stale_resource_version_conflicts(cluster):
    store.create(cluster, copy.deepcopy(DAEMONSET))
    stale = DaemonSet.objects.get().to_dict()
    fresh = copy.deepcopy(stale)
    fresh["metadata"]["labels"] = {"a": "b"}
    store.update(cluster, fresh)
    stale["metadata"]["labels"] = {"a": "c"}
    with pytest.raises(Conflict) as exc:
        store.update(cluster, stale)
    assert exc.value.kubectl_message() == (
        'Error from server (Conflict): Operation cannot be fulfilled on daemonsets.apps "my-first-daemonset": '
        "the object has been modified; please apply your changes to the latest version and try again"
    )


def test_status_writes_leave_the_spec_alone(cluster):
    store.create(cluster, copy.deepcopy(DAEMONSET))
    row = DaemonSet.objects.get()
    new_status = {**row.status, "desiredNumberScheduled": 3}
    store.update_status(row, new_status)
    row = DaemonSet.objects.get()
    assert row.status["desiredNumberScheduled"] == 3
    assert row.generation == 1


def test_duplicate_create_is_rejected(cluster):
    store.create(cluster, copy.deepcopy(DAEMONSET))
    with pytest.raises(AlreadyExists) as exc:
        store.create(cluster, copy.deepcopy(DAEMONSET))
    assert exc.value.message == 'daemonsets.apps "my-first-daemonset" already exists'


def test_a_bad_object_rejects_the_whole_batch(cluster):
    bad = copy.deepcopy(DAEMONSET)
    bad["metadata"]["name"] = "bad"
    bad["spec"]["template"]["metadata"]["labels"] = {"app": "other"}
    before = (Change.objects.count(), DaemonSet.objects.count())
    with pytest.raises(Invalid):
        store.create_many(cluster, [copy.deepcopy(DAEMONSET), bad])
    assert (Change.objects.count(), DaemonSet.objects.count()) == before


def test_missing_namespace_is_not_found(cluster):
    with pytest.raises(NotFound) as exc:
        store.create(cluster, pod("p", namespace="nope"))
    assert exc.value.message == 'namespaces "nope" not found'


def test_bound_pods_delete_gracefully(cluster):
    store.create(cluster, node_manifest("node-1"))
    created = pod("web")
    created["spec"]["nodeName"] = "node-1"
    store.create(cluster, created)
    result = store.delete(cluster, "Pod", "default", "web")
    assert result["metadata"]["deletionTimestamp"] == "2026-01-01T00:00:30Z"
    assert result["metadata"]["deletionGracePeriodSeconds"] == 30
    assert Pod.objects.filter(name="web").exists()
    store.delete(cluster, "Pod", "default", "web", grace_period_seconds=0)
    assert not Pod.objects.filter(name="web").exists()
    assert Change.objects.filter(name="web").latest("resource_version").type == "DELETED"


def test_unbound_pods_go_at_once(cluster):
    store.create(cluster, pod("waiting"))
    store.delete(cluster, "Pod", "default", "waiting")
    assert not Pod.objects.filter(name="waiting").exists()


def test_finalizers_hold_an_object_until_removed(cluster):
    created = pod("held")
    created["metadata"]["finalizers"] = ["example.com/hold"]
    store.create(cluster, created)
    store.delete(cluster, "Pod", "default", "held")
    row = Pod.objects.get(name="held")
    assert row.deletion_timestamp is not None
    live = row.to_dict()
    live["metadata"]["finalizers"] = []
    store.update(cluster, live)
    assert not Pod.objects.filter(name="held").exists()


def test_orphan_deletion_strips_owner_references(cluster):
    ds = store.create(cluster, copy.deepcopy(DAEMONSET))
    child = pod("child")
    child["metadata"]["ownerReferences"] = [
        {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": ds["metadata"]["name"],
         "uid": ds["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}
    ]
    store.create(cluster, child)
    store.delete(cluster, "DaemonSet", "default", "my-first-daemonset", propagation_policy="Orphan")
    row = Pod.objects.get(name="child")
    assert row.owner_uid == "" and "ownerReferences" not in row.metadata


def test_node_registration_reports_ready_with_capacity(cluster):
    created = store.create(cluster, node_manifest("node-1"))
    assert created["status"]["allocatable"]["pods"] == "110"
    row = Node.objects.get(name="node-1")
    assert row.ready == "True" and not row.unschedulable


def test_strategic_merge_patch_merges_containers_by_name(cluster):
    store.create(cluster, copy.deepcopy(DAEMONSET))
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}}}
    patched = store.patch(cluster, "DaemonSet", "default", "my-first-daemonset", patch, patch_type="strategic")
    container = patched["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "nginx:1.27"
    assert container["terminationMessagePath"] == "/dev/termination-log"  # kept from the live object


def test_events_count_repeats(cluster):
    ds = store.create(cluster, copy.deepcopy(DAEMONSET))
    for _ in range(3):
        store.record_event(cluster, ds, "Warning", "SelectingAll", "msg", component="daemonset-controller")
    event = store.model_for("Event").objects.get(involved_uid=ds["metadata"]["uid"])
    assert event.to_dict()["count"] == 3


def test_similar_events_are_aggregated_after_ten_as_the_recorder_does(cluster):
    """client-go's EventAggregator: the 10th distinct message of the same reason on the same
    object starts one "(combined from similar events)" event whose count then goes up."""
    from datetime import timedelta

    from cluster.clock import SimClock

    ds = store.create(cluster, copy.deepcopy(DAEMONSET))
    created = [(ds, "Normal", "SuccessfulCreate", f"Created pod: p{i}") for i in range(25)]
    store.record_events(cluster, created[:5], component="daemonset-controller")
    store.record_events(cluster, created[5:], component="daemonset-controller")
    store.record_event(cluster, ds, "Normal", "SuccessfulCreate", "Created pod: p0", component="daemonset-controller")
    events = [e.to_dict() for e in store.model_for("Event").objects.filter(involved_uid=ds["metadata"]["uid"])]
    single = sorted(e["message"] for e in events if e["count"] == 1)
    assert single == sorted(f"Created pod: p{i}" for i in range(9))
    (combined,) = [e for e in events if e["message"].startswith("(combined from similar events): ")]
    assert combined["count"] == 17  # p9 ... p24, then p0 again: the group is aggregated now
    assert combined["message"] == "(combined from similar events): Created pod: p0"
    assert len(events) == 10
    # Another reason on the same object is its own group.
    store.record_event(cluster, ds, "Normal", "SuccessfulDelete", "Deleted pod: p1", component="daemonset-controller")
    assert store.model_for("Event").objects.filter(reason="SuccessfulDelete").get().to_dict()["count"] == 1
    # Ten minutes later the correlator starts afresh.
    SimClock(cluster).step(timedelta(minutes=11))
    store.record_event(cluster, ds, "Normal", "SuccessfulCreate", "Created pod: q1", component="daemonset-controller")
    assert store.model_for("Event").objects.filter(reason="SuccessfulCreate").count() == 11


def test_pods_from_one_template_are_stored_as_full_validation_would_store_them(cluster):
    """`one_template` validates the first pod and gives the others what defaulting added."""
    from cluster.jsondata import copy_json
    from controllers import daemonset_plan

    ds = store.create(cluster, copy.deepcopy(DAEMONSET))
    pods = [daemonset_plan.new_daemon_pod(ds, f"node-{i}", "abc123") for i in range(3)]
    fast = store.create_many(cluster, copy_json(pods), one_template=True)
    for p in pods:
        p["metadata"]["generateName"] = "slow-"
    slow = store.create_many(cluster, pods)
    assert fast[0]["spec"]["enableServiceLinks"] is True  # a pod default, not a template one
    for a, b in zip(fast, slow):
        for obj in (a, b):
            for key in ("name", "generateName", "uid", "resourceVersion"):
                obj["metadata"].pop(key)
        assert a == b
    bad = daemonset_plan.new_daemon_pod(ds, "node-9", "abc123")
    bad["spec"]["containers"][0]["image"] = ""
    with pytest.raises(Invalid):
        store.create_many(cluster, [bad, copy_json(bad)], one_template=True)


def test_indexed_job_pods_from_one_template_are_stored_as_full_validation_would_store_them(cluster):
    """Pods that differ in their index annotation, label, hostname and env var."""
    from cluster.jsondata import copy_json
    from controllers import job_plan

    job = store.create(cluster, {
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "indexed"},
        "spec": {"completions": 3, "completionMode": "Indexed", "template": {"spec": {
            "restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}}})
    pods = [job_plan.new_job_pod(job, index=i) for i in range(3)]
    fast = store.create_many(cluster, copy_json(pods), one_template=True)
    slow = store.create_many(cluster, pods)
    assert fast[2]["spec"]["enableServiceLinks"] is True
    for a, b in zip(fast, slow):
        for obj in (a, b):
            for key in ("name", "uid", "resourceVersion"):
                obj["metadata"].pop(key)
            obj["spec"].pop("hostname", None)
        assert a == b


def test_only_workloads_keep_a_generation_as_in_kubernetes_1_32(cluster):
    store.create(cluster, node_manifest("node-1"))
    created = store.create(cluster, pod("web"))
    assert "generation" not in created["metadata"]
    updated = store.patch(cluster, "Pod", "default", "web", {"spec": {"activeDeadlineSeconds": 30}})
    assert "generation" not in updated["metadata"]
    assert "generation" not in store.get(cluster, "Node", "", "node-1").metadata
    ds = store.create(cluster, copy.deepcopy(DAEMONSET))
    assert ds["metadata"]["generation"] == 1


def test_a_generated_name_that_is_taken_is_drawn_again(cluster, monkeypatch):
    """RetryGenerateName: a generateName collision is retried, not returned to the client."""
    draws = iter(["aaaaa", "aaaaa", "bbbbb"])
    monkeypatch.setattr(store, "name_suffix", lambda rng: next(draws))
    first = store.create(cluster, {"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "web-"},
                                   "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
    second = store.create(cluster, {"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "web-"},
                                    "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
    assert (first["metadata"]["name"], second["metadata"]["name"]) == ("web-aaaaa", "web-bbbbb")
    monkeypatch.setattr(store, "name_suffix", lambda rng: "aaaaa")
    with pytest.raises(AlreadyExists):
        store.create(cluster, {"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "web-"},
                               "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
    assert Pod.objects.filter(cluster=cluster).count() == 2


def test_announcements_come_after_commit_with_keys_only(cluster, django_capture_on_commit_callbacks):
    seen = []

    def listener(cluster_id, touched):
        seen.append((cluster_id, [(t.type, t.kind, t.name) for t in touched]))

    store.subscribe(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            store.create(cluster, pod("p1"))
        assert seen == [(cluster.pk, [("ADDED", "Pod", "p1")])]
    finally:
        store.unsubscribe(listener)


def test_a_write_from_a_stale_read_is_refused_and_loses_nothing(cluster):
    store.create(cluster, node_manifest("node-1"))
    created = pod("web")
    created["spec"]["nodeName"] = "node-1"
    store.create(cluster, created)
    stale = Pod.objects.get(name="web")  # a controller read it...
    store.delete(cluster, "Pod", "default", "web")  # ...then a user deleted it
    with pytest.raises(store.Stale):
        store.update_status(stale, {"phase": "Running"})
    assert Pod.objects.get(name="web").deletion_timestamp is not None


def test_system_namespaces_cannot_be_deleted(cluster):
    from cluster.errors import Forbidden

    with pytest.raises(Forbidden):
        store.delete(cluster, "Namespace", "", "kube-system")


def test_events_expire_after_an_hour_of_simulated_time(cluster):
    from datetime import timedelta

    from cluster.clock import SimClock

    ds = store.create(cluster, copy.deepcopy(DAEMONSET))
    store.record_event(cluster, ds, "Normal", "SuccessfulCreate", "Created pod: x", component="daemonset-controller")
    SimClock(cluster).step(timedelta(minutes=59))
    assert store.expire_events(cluster) == 0
    SimClock(cluster).step(timedelta(minutes=2))
    assert store.expire_events(cluster) == 1
    assert not store.model_for("Event").objects.exists()


def test_server_side_apply_keeps_each_managers_fields(cluster):
    from cluster.errors import InvalidOptions

    applied = copy.deepcopy(DAEMONSET)
    applied["metadata"]["labels"] = {"tier": "web", "team": "a"}
    store.create(cluster, applied, field_manager="alice")
    bob = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": applied["metadata"]["name"],
                                                                     "labels": {"team": "a", "owner": "bob"}}}
    name = applied["metadata"]["name"]
    store.patch(cluster, "DaemonSet", "default", name, bob, patch_type="apply", field_manager="bob")
    del applied["metadata"]["labels"]  # alice stops applying her labels
    result = store.patch(cluster, "DaemonSet", "default", name, applied, patch_type="apply", field_manager="alice")
    assert result["metadata"]["labels"] == {"team": "a", "owner": "bob"}  # bob still applies "team"
    entries = {e["manager"]: e for e in result["metadata"]["managedFields"]}
    assert set(entries) == {"alice", "bob"} and entries["bob"]["operation"] == "Apply"
    assert "f:labels" not in entries["alice"]["fieldsV1"].get("f:metadata", {})
    # A plain update keeps the ownership records.
    patched = store.patch(cluster, "DaemonSet", "default", name, {"metadata": {"annotations": {"x": "y"}}})
    assert patched["metadata"]["managedFields"] == result["metadata"]["managedFields"]
    # Bob applying another value to alice's field conflicts; with force it becomes his.
    bob["spec"] = {"template": {"spec": {"containers": [{"name": "c", "image": "nginx:9"}]}}}
    with pytest.raises(Conflict) as refused:
        store.patch(cluster, "DaemonSet", "default", name, bob, patch_type="apply", field_manager="bob")
    assert str(refused.value) == ('Apply failed with 1 conflict: conflict with "alice": '
                                  '.spec.template.spec.containers[name="c"].image')
    forced = store.patch(cluster, "DaemonSet", "default", name, bob, patch_type="apply", field_manager="bob", force=True)
    assert forced["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:9"
    with pytest.raises(InvalidOptions):
        store.patch(cluster, "DaemonSet", "default", name, bob, patch_type="apply")


def test_announcements_held_for_a_block_come_once_per_cluster_at_its_end(cluster, django_capture_on_commit_callbacks):
    seen = []

    def listener(cluster_id, touched):
        seen.append((cluster_id, [(t.type, t.name) for t in touched]))

    store.subscribe(listener)
    try:
        with store.announcements_held():
            with django_capture_on_commit_callbacks(execute=True):
                store.create(cluster, pod("p1"))
            with store.announcements_held():      # a nested block joins the outer one
                with django_capture_on_commit_callbacks(execute=True):
                    store.create(cluster, pod("p2"))
            assert seen == []
        assert seen == [(cluster.pk, [("ADDED", "p1"), ("ADDED", "p2")])]
        with django_capture_on_commit_callbacks(execute=True):   # outside a block: at once again
            store.create(cluster, pod("p3"))
        assert seen[1:] == [(cluster.pk, [("ADDED", "p3")])]
    finally:
        store.unsubscribe(listener)
