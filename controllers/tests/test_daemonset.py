"""The DaemonSet controller end to end on the simulated clock, with the chapter's manifest."""
from __future__ import annotations

import copy
from io import StringIO
from pathlib import Path

import pytest
import yaml

from cluster import kubectl, store
from cluster.models import Change, ControllerRevision, DaemonSet, Event, Pod
from controllers import chaos
from controllers.daemonset import reconcile_daemonset
from controllers.engine import Step
from controllers.models import ControllerMemory
from controllers.tests.conftest import add_nodes, seconds

pytestmark = pytest.mark.django_db

SEED = yaml.safe_load((Path(__file__).resolve().parents[2] / "examples" / "my-first-daemonset.yaml").read_text())


def run_kubectl(*argv: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    code = kubectl.run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def daemon_pods(name: str = "my-first-daemonset") -> dict[str, list[str]]:
    by_node: dict[str, list[str]] = {}
    ds = DaemonSet.objects.get(name=name)
    for pod in Pod.objects.filter(owner_uid=ds.uid, deletion_timestamp__isnull=True).order_by("name"):
        by_node.setdefault(pod.node_name, []).append(pod.name)
    return by_node


def one_pass(cluster, engine, name: str = "my-first-daemonset"):
    step = Step(cluster, engine.clock.now())
    before = Change.objects.count()
    reconcile_daemonset(step, f"default/{name}")
    return Change.objects.count() - before


def test_the_chapter_walkthrough(cluster, engine):
    add_nodes(cluster, "node-1")
    code, out, _ = run_kubectl("apply", "-f", str(Path(__file__).resolve().parents[2] / "examples" / "my-first-daemonset.yaml"))
    assert (code, out) == (0, "daemonset.apps/my-first-daemonset created\n")
    engine.advance(seconds(46))
    _, out, _ = run_kubectl("get", "pod")
    header, row = out.splitlines()
    assert header == "NAME                       READY   STATUS    RESTARTS   AGE"
    name = row.split()[0]
    assert name.startswith("my-first-daemonset-") and len(name) == len("my-first-daemonset-kg2z2")
    assert row.split()[1:] == ["1/1", "Running", "0", "46s"]
    engine.advance(seconds(5))
    _, out, _ = run_kubectl("get", "ds")
    assert out.splitlines() == [
        "NAME                 DESIRED   CURRENT   READY   UP-TO-DATE   AVAILABLE   NODE SELECTOR   AGE",
        "my-first-daemonset   1         1         1       1            1           <none>          51s",
    ]
    add_nodes(cluster, "node-2", "node-3")
    engine.advance(seconds(10))
    assert {node: len(pods) for node, pods in daemon_pods().items()} == {"node-1": 1, "node-2": 1, "node-3": 1}
    chaos.remove_node(cluster, "node-3")
    engine.advance(seconds(60))
    assert sorted(daemon_pods()) == ["node-1", "node-2"]
    assert DaemonSet.objects.get().status["desiredNumberScheduled"] == 2
    assert one_pass(cluster, engine) == 0  # a second pass changes nothing


def apply_ds(cluster, **spec_changes):
    ds = copy.deepcopy(SEED)
    template_spec = ds["spec"]["template"]["spec"]
    for key, value in spec_changes.items():
        if key == "updateStrategy":
            ds["spec"]["updateStrategy"] = value
        else:
            template_spec[key] = value
    return store.create(cluster, ds)


def test_creates_one_pod_per_node_with_node_affinity_and_events(cluster, engine):
    add_nodes(cluster, "node-1", "node-2")
    apply_ds(cluster)
    assert one_pass(cluster, engine) > 0
    pods = list(Pod.objects.filter(owner_kind="DaemonSet"))
    assert len(pods) == 2
    for pod in pods:
        terms = pod.spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
        assert terms[0]["matchFields"][0]["key"] == "metadata.name"
        assert not pod.spec.get("nodeName")  # the scheduler binds it
        assert pod.labels["controller-revision-hash"] and pod.labels["pod-template-generation"] == "1"
    reasons = sorted(Event.objects.filter(involved_kind="DaemonSet").values_list("reason", flat=True))
    assert reasons == ["SuccessfulCreate", "SuccessfulCreate"]
    engine.run_until_idle()
    assert one_pass(cluster, engine) == 0


def test_node_selector_label_flip(cluster, engine):
    add_nodes(cluster, "node-1", "node-2", "node-3")
    apply_ds(cluster, nodeSelector={"color": "blue"})
    engine.run_until_idle()
    assert daemon_pods() == {}
    chaos.label_node(cluster, "node-2", "color", "blue")
    engine.run_until_idle()
    assert list(daemon_pods()) == ["node-2"]
    chaos.label_node(cluster, "node-2", "color", "green")
    engine.run_until_idle()
    assert daemon_pods() == {}
    verdicts = ControllerMemory.objects.get(controller="daemonset").data["nodes"]
    assert verdicts["node-2"]["verdict"] == "skip"
    assert "color" in verdicts["node-2"]["reason"]


def test_tainted_node_gets_no_pod_and_a_cordoned_one_does(cluster, engine):
    add_nodes(cluster, "node-1")
    add_nodes(cluster, "node-2", taints=[{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}])
    chaos.cordon(cluster, "node-1")
    apply_ds(cluster)
    engine.run_until_idle()
    assert list(daemon_pods()) == ["node-1"]
    verdict = ControllerMemory.objects.get(controller="daemonset").data["nodes"]["node-2"]
    assert verdict["verdict"] == "skip"
    assert "dedicated=gpu:NoSchedule" in verdict["message"]


def test_a_deleted_daemon_pod_is_replaced(cluster, engine):
    add_nodes(cluster, "node-1")
    apply_ds(cluster)
    engine.run_until_idle()
    [old] = daemon_pods()["node-1"]
    chaos.kill_pod(cluster, "default", old)
    engine.run_until_idle()
    [new] = daemon_pods()["node-1"]
    assert new != old
    assert Pod.objects.get(name=new).phase == "Running"


def test_rolling_update_replaces_pods_one_node_at_a_time(cluster, engine):
    add_nodes(cluster, "node-1", "node-2", "node-3")
    apply_ds(cluster)
    engine.run_until_idle()
    live = DaemonSet.objects.get().to_dict()
    live["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.27"
    store.update(cluster, live)
    max_unavailable_seen = 0
    for _ in range(200):
        if not engine.step(until=engine.clock.now() + seconds(600)):
            break
        status = DaemonSet.objects.get().status
        max_unavailable_seen = max(max_unavailable_seen, status.get("numberUnavailable", 0))
    status = DaemonSet.objects.get().status
    assert status["updatedNumberScheduled"] == 3 and status["numberAvailable"] == 3
    assert max_unavailable_seen <= 1
    images = {p.spec["containers"][0]["image"] for p in Pod.objects.filter(owner_kind="DaemonSet")}
    assert images == {"nginx:1.27"}
    assert ControllerRevision.objects.count() == 2
    code, out, _ = run_kubectl("rollout", "status", "ds/my-first-daemonset")
    assert (code, out) == (0, 'daemon set "my-first-daemonset" successfully rolled out\n')


def test_on_delete_replaces_only_deleted_pods(cluster, engine):
    add_nodes(cluster, "node-1", "node-2")
    apply_ds(cluster, updateStrategy={"type": "OnDelete"})
    engine.run_until_idle()
    live = DaemonSet.objects.get().to_dict()
    live["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.27"
    store.update(cluster, live)
    engine.run_until_idle()
    images = sorted(p.spec["containers"][0]["image"] for p in Pod.objects.filter(owner_kind="DaemonSet"))
    assert images == ["nginx:latest", "nginx:latest"]
    chaos.kill_pod(cluster, "default", daemon_pods()["node-1"][0])
    engine.run_until_idle()
    by_node = {p.node_name: p.spec["containers"][0]["image"] for p in Pod.objects.filter(owner_kind="DaemonSet")}
    assert by_node == {"node-1": "nginx:1.27", "node-2": "nginx:latest"}


def test_rollout_history_and_undo(cluster, engine):
    add_nodes(cluster, "node-1")
    apply_ds(cluster)
    engine.run_until_idle()
    live = DaemonSet.objects.get().to_dict()
    live["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.27"
    store.update(cluster, live)
    engine.run_until_idle()
    code, out, _ = run_kubectl("rollout", "history", "ds/my-first-daemonset")
    assert out.splitlines() == ["daemonset.apps/my-first-daemonset ", "REVISION  CHANGE-CAUSE", "1         <none>",
                                "2         <none>", ""]
    code, out, _ = run_kubectl("rollout", "undo", "ds/my-first-daemonset")
    assert (code, out) == (0, "daemonset.apps/my-first-daemonset rolled back\n")
    engine.run_until_idle()
    revisions = sorted(ControllerRevision.objects.values_list("revision", flat=True))
    assert revisions == [2, 3]  # revision 1 became 3
    image = Pod.objects.get(owner_kind="DaemonSet").spec["containers"][0]["image"]
    assert image == "nginx:latest"
