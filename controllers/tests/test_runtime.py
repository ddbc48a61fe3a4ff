"""The runtime on a fake (stepped) clock: scheduler, kubelet, node lifecycle, garbage collection."""
from __future__ import annotations

import gc

import pytest

from cluster import store
from cluster.models import Event, Node, Pod
from cluster.timeutil import parse_time
from controllers import chaos, queue
from controllers.programs import read_container
from controllers.tests.conftest import add_nodes, pod_manifest, pod_status, seconds

pytestmark = pytest.mark.django_db

T0 = "2026-01-01T00:00:00Z"


def at(iso: str):
    return parse_time(iso)


def test_a_pod_is_bound_then_runs_after_its_image_pull(cluster, engine):
    add_nodes(cluster, "node-1")
    store.create(cluster, pod_manifest("web", image="nginx:1.27"))
    engine.run_until_idle()
    status = pod_status("web")
    assert Pod.objects.get(name="web").node_name == "node-1"
    assert status["phase"] == "Running"
    # bound at t0, ContainerCreating: 3 s pull (first use of the image on the node) + 1 s start
    assert status["containerStatuses"][0]["state"]["running"]["startedAt"] == "2026-01-01T00:00:04Z"
    assert [e.reason for e in Event.objects.filter(involved_name="web").order_by("resource_version")] == [
        "Scheduled", "Pulling", "Pulled", "Created", "Started"]
    # the pod's hostIP is its node's InternalIP, as a kubelet reports it
    node_ips = [a["address"] for a in Node.objects.get(name="node-1").status["addresses"] if a["type"] == "InternalIP"]
    assert status["hostIP"] == node_ips[0] and status["hostIPs"] == [{"ip": node_ips[0]}]
    add_nodes(cluster, "node-2")
    assert Node.objects.get(name="node-2").status["addresses"][0]["address"] != node_ips[0]


def test_the_second_pod_with_the_same_image_skips_the_pull(cluster, engine):
    add_nodes(cluster, "node-1")
    store.create(cluster, pod_manifest("a", image="nginx:1.27"))
    engine.run_until_idle()
    store.create(cluster, pod_manifest("b", image="nginx:1.27"))
    engine.run_until_idle()
    created = at(Pod.objects.get(name="b").metadata["creationTimestamp"])
    started = at(pod_status("b")["containerStatuses"][0]["state"]["running"]["startedAt"])
    assert (started - created).total_seconds() == 1
    # the kubelet's image manager still says so, as kubectl describe pod shows on a real node
    assert [(e.reason, e.body["message"]) for e in Event.objects.filter(involved_name="b").order_by("resource_version")] == [
        ("Scheduled", "Successfully assigned default/b to node-1"),
        ("Pulled", 'Container image "nginx:1.27" already present on machine'),
        ("Created", "Created container: main"), ("Started", "Started container main")]


def test_each_container_of_a_pod_pulls_only_an_image_its_node_lacks(cluster, engine):
    add_nodes(cluster, "node-1")
    store.create(cluster, pod_manifest("first", image="nginx:1.27"))
    engine.run_until_idle()
    pod = pod_manifest("two", image="nginx:1.27")
    pod["spec"]["containers"].append({"name": "sidecar", "image": "redis:7"})
    store.create(cluster, pod)
    engine.run_until_idle()
    messages = [(e.reason, e.body["message"]) for e in Event.objects.filter(involved_name="two").order_by("resource_version")]
    assert [m for r, m in messages if r in ("Pulling", "Pulled")] == [
        'Pulling image "redis:7"', 'Container image "nginx:1.27" already present on machine',
        'Successfully pulled image "redis:7" in 3s']
    created = at(Pod.objects.get(name="two").metadata["creationTimestamp"])
    started = {cs["name"]: (at(cs["state"]["running"]["startedAt"]) - created).total_seconds()
               for cs in pod_status("two")["containerStatuses"]}
    assert started == {"main": 4, "sidecar": 4}  # the pod's containers start together, after its pull


def test_sleep_30_takes_30_simulated_seconds(cluster, engine):
    add_nodes(cluster, "node-1")
    store.create(cluster, pod_manifest("nap", command=["sleep", "30"], restart_policy="Never"))
    engine.advance(seconds(33))
    assert pod_status("nap")["phase"] == "Running"
    engine.advance(seconds(1))
    status = pod_status("nap")
    assert status["phase"] == "Succeeded"
    terminated = status["containerStatuses"][0]["state"]["terminated"]
    assert (terminated["reason"], terminated["exitCode"]) == ("Completed", 0)
    assert (at(terminated["finishedAt"]) - at(terminated["startedAt"])).total_seconds() == 30


def test_a_failing_never_pod_fails_with_its_exit_code(cluster, engine):
    add_nodes(cluster, "node-1")
    store.create(cluster, pod_manifest("bad", command=["sh", "-c", "echo starting; exit 3"], restart_policy="Never"))
    engine.run_until_idle()
    status = pod_status("bad")
    assert status["phase"] == "Failed"
    assert status["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 3


def test_a_crashing_always_pod_backs_off_10_20_40_seconds(cluster, engine):
    add_nodes(cluster, "node-1")
    store.create(cluster, pod_manifest("crash", command=["sh", "-c", "sleep 5; exit 1"]))
    restarts = []
    for _ in range(60):
        engine.step(until=engine.clock.now() + seconds(3600))
        statuses = pod_status("crash").get("containerStatuses")
        if not statuses:
            continue
        cs = statuses[0]
        if "running" in cs["state"] and cs["restartCount"] not in [r for r, _ in restarts]:
            restarts.append((cs["restartCount"], at(cs["state"]["running"]["startedAt"])))
        if len(restarts) == 5:
            break
    # each run lasts 5 s; the first restart is immediate, then 10, 20, 40 s of CrashLoopBackOff
    gaps = [(b[1] - a[1]).total_seconds() - 5 for a, b in zip(restarts, restarts[1:])]
    assert gaps == [0, 10, 20, 40]
    engine.advance(seconds(5))
    cs = pod_status("crash")["containerStatuses"][0]
    assert cs["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert cs["lastState"]["terminated"]["exitCode"] == 1
    # every start is recorded, restarts too, as `kubectl describe pod` shows them: "(x5 over 85s)"
    counts = {(e.reason, e.body["message"]): e.body["count"] for e in Event.objects.filter(involved_name="crash")}
    assert counts[("Pulled", 'Successfully pulled image "busybox:1.36" in 3s')] == 1
    assert counts[("Pulled", 'Container image "busybox:1.36" already present on machine')] == 4
    assert counts[("Created", "Created container: main")] == counts[("Started", "Started container main")] == 5


def test_crash_a_container_restarts_it_in_place(cluster, engine):
    add_nodes(cluster, "node-1")
    store.create(cluster, pod_manifest("web", image="nginx:1.27"))
    engine.run_until_idle()
    chaos.crash_container(cluster, "default", "web")
    engine.run_until_idle()
    cs = pod_status("web")["containerStatuses"][0]
    assert cs["restartCount"] == 1 and "running" in cs["state"]
    assert cs["lastState"]["terminated"]["exitCode"] == 137


def test_an_unschedulable_pod_waits_with_the_schedulers_reason(cluster, engine):
    add_nodes(cluster, "node-1", taints=[{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}])
    add_nodes(cluster, "node-2", "node-3")
    hog = pod_manifest("hog")
    hog["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "8"}}
    store.create(cluster, hog)
    engine.run_until_idle()
    assert Pod.objects.get(name="hog").node_name == ""
    event = Event.objects.get(involved_name="hog", reason="FailedScheduling")
    assert event.to_dict()["message"] == (
        "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient cpu."
    )
    assert engine.run_until_idle() == 0  # and nothing loops


def test_the_scheduler_respects_node_selector_and_pod_capacity(cluster, engine):
    add_nodes(cluster, "node-1", pods=1)
    add_nodes(cluster, "node-2", labels={"disk": "ssd"})
    store.create(cluster, pod_manifest("a", nodeSelector={"disk": "ssd"}))
    store.create(cluster, pod_manifest("b"))
    store.create(cluster, pod_manifest("c"))
    engine.run_until_idle()
    placed = dict(Pod.objects.values_list("name", "node_name"))
    assert placed["a"] == "node-2"
    assert sorted([placed["b"], placed["c"]]) == ["node-1", "node-2"]


def test_cordoned_nodes_get_no_new_pods(cluster, engine):
    add_nodes(cluster, "node-1", "node-2")
    chaos.cordon(cluster, "node-1")
    store.create_many(cluster, [pod_manifest(f"p{i}") for i in range(3)])
    engine.run_until_idle()
    assert set(Pod.objects.values_list("node_name", flat=True)) == {"node-2"}
    taints = Node.objects.get(name="node-1").spec["taints"]
    assert {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"} in taints


def test_removing_a_node_garbage_collects_its_pods(cluster, engine):
    add_nodes(cluster, "node-1", "node-2")
    store.create(cluster, pod_manifest("web", node="node-2", image="nginx:1.27"))
    engine.run_until_idle()
    chaos.remove_node(cluster, "node-2")
    engine.advance(seconds(39))
    assert Pod.objects.filter(name="web").exists()  # quarantine
    engine.advance(seconds(2))
    assert not Pod.objects.filter(name="web").exists()


def test_an_untolerated_noexecute_taint_evicts_after_300_seconds(cluster, engine):
    add_nodes(cluster, "node-1")
    store.create(cluster, pod_manifest("web", image="nginx:1.27"))
    engine.run_until_idle()
    chaos.fail_node(cluster, "node-1")
    engine.advance(seconds(1))
    taints = {(t["key"], t["effect"]) for t in Node.objects.get(name="node-1").spec["taints"]}
    assert taints == {("node.kubernetes.io/not-ready", "NoSchedule"), ("node.kubernetes.io/not-ready", "NoExecute")}
    engine.advance(seconds(298))
    assert Pod.objects.get(name="web").deletion_timestamp is None
    engine.advance(seconds(2))
    assert Pod.objects.get(name="web").deletion_timestamp is not None  # evicted; the node's kubelet is down
    assert Event.objects.filter(involved_name="web", reason="TaintManagerEviction").exists()


def test_a_partitioned_node_turns_unknown_after_the_grace_period(cluster, engine):
    add_nodes(cluster, "node-1")
    chaos.partition_node(cluster, "node-1")
    engine.advance(seconds(49))
    assert Node.objects.get(name="node-1").ready == "True"
    engine.advance(seconds(2))
    node = Node.objects.get(name="node-1")
    assert node.ready == "Unknown"
    assert {"node.kubernetes.io/unreachable"} == {t["key"] for t in node.spec["taints"]}
    chaos.recover_node(cluster, "node-1")
    engine.run_until_idle()
    node = Node.objects.get(name="node-1")
    assert node.ready == "True" and not node.spec.get("taints")


def test_deleting_a_running_pod_stops_it_then_removes_it(cluster, engine):
    add_nodes(cluster, "node-1")
    store.create(cluster, pod_manifest("web", image="nginx:1.27"))
    engine.run_until_idle()
    chaos.kill_pod(cluster, "default", "web")
    assert Pod.objects.get(name="web").deletion_timestamp is not None
    engine.advance(seconds(2))
    assert not Pod.objects.filter(name="web").exists()


def test_the_garbage_collector_deletes_dependants_of_a_deleted_owner(cluster, engine):
    owner = store.create(cluster, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "owner"},
                                   "spec": {"containers": [{"name": "c", "image": "x"}]}})
    del owner  # the owner kind that matters is a workload; use a Job-like owner via a DaemonSet
    ds = store.create(cluster, {
        "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "logs"},
        "spec": {"selector": {"matchLabels": {"app": "logs"}},
                 "template": {"metadata": {"labels": {"app": "logs"}},
                              "spec": {"containers": [{"name": "c", "image": "fluentd:1"}]}}}})
    engine.run_until_idle()  # no nodes: no pods, but a ControllerRevision
    assert store.model_for("ControllerRevision").objects.filter(owner_uid=ds["metadata"]["uid"]).count() == 1
    store.delete(cluster, "DaemonSet", "default", "logs")
    engine.run_until_idle()
    assert store.model_for("ControllerRevision").objects.filter(owner_uid=ds["metadata"]["uid"]).count() == 0


def test_a_handler_error_retries_with_backoff_and_never_hot_loops(cluster, engine, monkeypatch):
    from controllers import engine as engine_module

    calls = []

    def broken(step, names):
        calls.append(step.now)
        raise RuntimeError("boom")

    monkeypatch.setitem(engine_module.HANDLERS, "broken", broken)
    engine.enqueue(["broken:x"])
    engine.advance(seconds(10))
    gaps = [(b - a).total_seconds() for a, b in zip(calls, calls[1:])]
    assert gaps == [1, 2, 4]  # 1 s, 2 s, 4 s... on the simulated clock
    assert queue.pending(cluster) == 1


def test_programs_are_read_not_run():
    program = read_container({"command": ["sh", "-c", 'echo "Hello World"']})
    assert (program.seconds, program.exit_code, program.log_until(0)) == (0, 0, ["Hello World"])
    program = read_container({"command": ["sh", "-c", "sleep 2 && echo done || exit 4; exit 7"]})
    assert (program.seconds, program.exit_code, program.log_until(2)) == (2, 7, ["done"])
    assert read_container({"image": "nginx"}).forever
    assert read_container({"command": ["false"]}).exit_code == 1
    assert read_container({"command": ["sleep", "1m"]}).seconds == 60
    injected = read_container({"command": ["sleep", "5"]}, {"kubesim.io/exit-code": "2"})
    assert (injected.seconds, injected.exit_code) == (5, 2)


def test_chaos_from_the_command_line(cluster):
    from django.core.management import call_command
    from io import StringIO

    out = StringIO()
    call_command("chaos", "add-node", "node-9", "--label", "zone=b", "--taint", "gpu=true:NoSchedule", stdout=out)
    assert out.getvalue().strip() == "Added node node-9    ($ kubectl apply -f node-9.yaml)"
    node = Node.objects.get(name="node-9")
    assert node.labels["zone"] == "b" and node.spec["taints"] == [{"key": "gpu", "value": "true", "effect": "NoSchedule"}]
    call_command("chaos", "fail-node", "node-9", stdout=out)
    assert Node.objects.get(name="node-9").ready == "False"


def test_chaos_actions_in_the_admin(admin_client, cluster):
    from django.urls import reverse

    add_nodes(cluster, "node-1")
    node = Node.objects.get(name="node-1")
    admin_client.post(reverse("admin:cluster_node_changelist"), {"action": "partition_node", "_selected_action": [node.pk]})
    admin_client.post(reverse("admin:cluster_node_changelist"), {"action": "fail_node", "_selected_action": [node.pk]})
    assert Node.objects.get(name="node-1").ready == "False"


@pytest.mark.django_db(transaction=True)
def test_the_live_pages_hear_of_an_engine_step_once_with_all_its_controllers_writes():
    """A step commits once per controller that ran (here the DaemonSet controller creating its
    pod and the scheduler binding a bare pod, both due at once); subscribers get one
    announcement per step, after its last commit."""
    from cluster.bootstrap import ensure_cluster
    from controllers.engine import Engine

    cluster = ensure_cluster()
    add_nodes(cluster, "node-1")
    engine = Engine(cluster)
    engine.run_until_idle()
    store.create(cluster, {
        "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent", "namespace": "default"},
        "spec": {"selector": {"matchLabels": {"app": "agent"}},
                 "template": {"metadata": {"labels": {"app": "agent"}},
                              "spec": {"containers": [{"name": "agent", "image": "busybox"}]}}}})
    store.create(cluster, pod_manifest("bare"))
    heard = []
    store.subscribe(lambda cluster_id, touched: heard.append(touched))
    try:
        assert engine.step()
    finally:
        store._subscribers.pop()
    assert len(heard) == 1
    assert any(t.kind == "Pod" and t.name.startswith("agent-") and t.type == "ADDED" for t in heard[0])  # its pod
    assert any(t.kind == "Pod" and t.name == "bare" and t.type == "MODIFIED" for t in heard[0])  # the binding


def test_fast_forwarding_defers_full_collections_until_a_minute_has_passed(monkeypatch):
    from controllers import engine as engine_module

    collector = engine_module.Collector()
    before = gc.get_threshold()

    n = len(gc.get_objects()) // 2 + 100_000

    def survivors():  # enough new long-lived containers for Python's rule to run full collections
        return [[{"i": i}] for i in range(n)]

    full = gc.get_stats()[2]["collections"]
    kept = survivors()
    assert gc.get_stats()[2]["collections"] > full          # Python's own rule: some ran
    with collector.fast_forward(), collector.fast_forward():  # nested runs (a scenario inside a run)
        full = gc.get_stats()[2]["collections"]
        kept += survivors()
        collector.after_step()
        assert gc.get_stats()[2]["collections"] == full      # none while fast-forwarding...
        monkeypatch.setattr(collector, "last_full", collector.last_full - collector.PERIOD - 1)
        collector.after_step()
        assert gc.get_stats()[2]["collections"] == full + 1  # ...but one a minute
    assert gc.get_threshold() == before and len(kept) == 2 * n
