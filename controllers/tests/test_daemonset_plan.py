"""Planner tests for the DaemonSet controller (pure, no database).

Scenario numbers refer to section 8 of docs/kubernetes-semantics.md; upstream test names come
from pkg/controller/daemon/daemon_controller_test.go and update_test.go. Every scenario ends with
``world.settle()``: apply plans until one is empty, then assert that a further pass plans nothing
and writes no status ("second run changes nothing").
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest

from controllers.daemonset_plan import (
    CONTROLLER_REVISION_HASH_LABEL,
    DaemonSetPlan,
    Event,
    HistoryPlan,
    _fnv32a,
    compute_hash,
    format_time,
    is_pod_available,
    is_pod_ready,
    is_pod_updated,
    is_terminating,
    new_daemon_pod,
    node_should_run_daemon_pod,
    plan_daemonset,
    plan_history,
    safe_encode_string,
    slow_start_batches,
    status_differs,
    target_node,
)

T0 = datetime(2026, 1, 1, 0, 10, 0, tzinfo=timezone.utc)
BLUE = {"color": "blue"}


def ts(seconds: float = 0) -> str:
    return format_time(T0 + timedelta(seconds=seconds))


# --------------------------------------------------------------------------------------------
# Builders
# --------------------------------------------------------------------------------------------


def node(name, labels=None, taints=(), conditions=None):
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": dict(labels or {})},
        "spec": {"taints": [dict(t) for t in taints]},
        "status": {"conditions": conditions or [{"type": "Ready", "status": "True"}]},
    }


def nodes(count, start=0, labels=None):
    return [node(f"node-{i}", labels) for i in range(start, start + count)]


def taint(key, effect="NoSchedule", value=None):
    result = {"key": key, "effect": effect}
    if value is not None:
        result["value"] = value
    return result


def daemonset(
    name="ds",
    *,
    selector=None,
    node_selector=None,
    node_name=None,
    tolerations=None,
    affinity=None,
    host_network=False,
    image="nginx:1",
    max_unavailable=None,
    max_surge=None,
    on_delete=False,
    min_ready_seconds=0,
    revision_history_limit=None,
    generation=1,
    observed_generation=None,
):
    labels = {"app": name}
    pod_spec = {"containers": [{"name": "main", "image": image}]}
    if node_selector:
        pod_spec["nodeSelector"] = dict(node_selector)
    if node_name:
        pod_spec["nodeName"] = node_name
    if tolerations:
        pod_spec["tolerations"] = [dict(t) for t in tolerations]
    if affinity:
        pod_spec["affinity"] = copy.deepcopy(affinity)
    if host_network:
        pod_spec["hostNetwork"] = True
    rolling = {}
    if max_unavailable is not None:
        rolling["maxUnavailable"] = max_unavailable
    if max_surge is not None:
        rolling["maxSurge"] = max_surge
    strategy = {"type": "OnDelete"} if on_delete else {"type": "RollingUpdate", "rollingUpdate": rolling}
    spec = {
        "selector": {"matchLabels": dict(labels if selector is None else selector)},
        "template": {"metadata": {"labels": labels}, "spec": pod_spec},
        "updateStrategy": strategy,
        "minReadySeconds": min_ready_seconds,
    }
    if revision_history_limit is not None:
        spec["revisionHistoryLimit"] = revision_history_limit
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {
            "name": name,
            "namespace": "default",
            "uid": f"uid-{name}",
            "generation": generation,
            "annotations": {"deprecated.daemonset.template.generation": str(generation)},
        },
        "spec": spec,
        "status": {"observedGeneration": generation if observed_generation is None else observed_generation},
    }


def hash_of(ds):
    return plan_history(ds, []).current_hash


def pod(
    name,
    node_name,
    of,
    *,
    revision_hash=None,
    bound=True,
    phase="Running",
    ready=True,
    ready_since=-600,
    created=-600,
    terminating=False,
):
    """A pod owned by DaemonSet ``of`` on ``node_name`` (current template unless told)."""
    result = new_daemon_pod(of, node_name, revision_hash or hash_of(of))
    metadata = result["metadata"]
    del metadata["generateName"]
    metadata.update(name=name, uid=f"uid-{name}", creationTimestamp=ts(created))
    if terminating:
        metadata["deletionTimestamp"] = ts(0)
    if bound:
        result["spec"]["nodeName"] = node_name
    result["status"] = {
        "phase": phase,
        "conditions": [
            {"type": "Ready", "status": "True" if ready else "False", "lastTransitionTime": ts(ready_since)}
        ],
    }
    return result


def pods_on(of, node_names, **kwargs):
    return [pod(f"{_short(n)}-pod", n, of, **kwargs) for n in node_names]


def _short(node_name):
    return node_name.replace("node-", "p")


def with_template(ds, **changes):
    """What the API server does on a template edit: new template, generation and
    template-generation annotation bumped, status kept."""
    fresh = daemonset(ds["metadata"]["name"], **changes)
    result = copy.deepcopy(ds)
    result["spec"]["template"] = fresh["spec"]["template"]
    generation = ds["metadata"]["generation"] + 1
    result["metadata"]["generation"] = generation
    result["metadata"]["annotations"]["deprecated.daemonset.template.generation"] = str(generation)
    return result


# --------------------------------------------------------------------------------------------
# A tiny cluster: applies plans the way the reconciler will
# --------------------------------------------------------------------------------------------


@dataclass
class World:
    ds: dict
    nodes: list
    pods: list = field(default_factory=list)
    now: datetime = T0
    revisions: list = field(default_factory=list)
    backoff: dict = field(default_factory=dict)
    serial: int = 0
    history: HistoryPlan | None = None

    def __post_init__(self):
        self.ds = copy.deepcopy(self.ds)
        self.pods = copy.deepcopy(self.pods)

    def sync(self) -> DaemonSetPlan:
        self.history = plan_history(self.ds, self.revisions, self.pods)
        self._apply_history(self.history)
        return plan_daemonset(
            self.ds, self.nodes, self.pods, now=self.now, current_hash=self.history.current_hash, backoff=self.backoff
        )

    def _apply_history(self, history):
        by_name = {r["metadata"]["name"]: r for r in self.revisions}
        by_name.update({r["metadata"]["name"]: r for r in history.update})
        for name in history.delete:
            by_name.pop(name)
        if history.create:
            by_name[history.create["metadata"]["name"]] = history.create
        self.revisions = list(by_name.values())
        for p in self.pods:
            if p["metadata"]["name"] in history.relabel_pods:
                p["metadata"]["labels"][CONTROLLER_REVISION_HASH_LABEL] = history.current_hash
        if history.collision_count is not None:
            self.ds["status"]["collisionCount"] = history.collision_count

    def apply(self, plan, *, ready=True, bind=True):
        doomed = set(plan.delete)
        self.pods = [p for p in self.pods if p["metadata"]["name"] not in doomed]
        for node_name in plan.create_on:
            self.serial += 1
            created = plan.pod_for(self.ds, node_name)
            created["metadata"]["name"] = f"{created['metadata'].pop('generateName')}{self.serial:05d}"
            created["metadata"]["creationTimestamp"] = format_time(self.now)
            if bind:
                created["spec"]["nodeName"] = node_name
            created["status"] = {
                "phase": "Running",
                "conditions": [
                    {"type": "Ready", "status": "True" if ready else "False", "lastTransitionTime": format_time(self.now)}
                ],
            }
            self.pods.append(created)
        self.backoff = plan.backoff
        self.ds["status"] = plan.status
        doomed_revisions = set(self.history.cleanup(self.pods))
        self.revisions = [r for r in self.revisions if r["metadata"]["name"] not in doomed_revisions]

    def step(self, *, ready=True, bind=True) -> DaemonSetPlan:
        plan = self.sync()
        self.apply(plan, ready=ready, bind=bind)
        return plan

    def settle(self, *, ready=True, limit=30) -> list[DaemonSetPlan]:
        """Run passes until one plans nothing, then check the next pass is a no-op too."""
        plans = []
        for _ in range(limit):
            plans.append(self.step(ready=ready))
            if plans[-1].is_empty:
                break
        else:
            pytest.fail(f"no fixed point after {limit} passes")
        again = self.sync()
        assert again.is_empty, "second run changed something"
        assert not again.status_changed(self.ds["status"]), "second run rewrote the status"
        return plans

    def mark_ready(self, predicate=lambda p: True):
        for p in self.pods:
            if predicate(p):
                ready = {"type": "Ready", "status": "True", "lastTransitionTime": format_time(self.now)}
                p["status"]["conditions"] = [ready]

    def pods_by_node(self):
        result = {}
        for p in self.pods:
            result.setdefault(target_node(p), []).append(p)
        return result

    def hashes_by_node(self):
        return {
            node_name: sorted(p["metadata"]["labels"][CONTROLLER_REVISION_HASH_LABEL] for p in pods)
            for node_name, pods in self.pods_by_node().items()
        }

    def update_template(self, **changes):
        self.ds = with_template(self.ds, **changes)


def counts(plan):
    return len(plan.create_on), len(plan.delete)


def decision(plan, node_name):
    return next(d for d in plan.decisions if d.node == node_name)


# --------------------------------------------------------------------------------------------
# NodeShouldRunDaemonPod
# --------------------------------------------------------------------------------------------

NOT_READY = "node.kubernetes.io/not-ready"
UNREACHABLE = "node.kubernetes.io/unreachable"

NOTHING_KEEPS_IT_OFF = "no nodeSelector, node affinity or taint keeps it off this node"
GPU = taint("dedicated", value="gpu")
GPU_NO_EXECUTE = taint("dedicated", "NoExecute", "gpu")
NETWORK_UNAVAILABLE = taint("node.kubernetes.io/network-unavailable")
CONTROL_PLANE = taint("node-role.kubernetes.io/control-plane")


def placed(case_id, the_node, ds, should_run, should_continue_running, reason):
    return pytest.param(the_node, ds, (should_run, should_continue_running, reason), id=case_id)


PLACEMENT_CASES = [
    placed("plain node", node("node-0"), daemonset(), True, True, NOTHING_KEEPS_IT_OFF),
    placed(
        "nodeSelector matches", node("node-0", {"disk": "ssd"}), daemonset(node_selector={"disk": "ssd"}),
        True, True, "nodeSelector disk=ssd matches",
    ),
    placed(
        "nodeSelector does not match", node("node-0", {"color": "green"}), daemonset(node_selector=BLUE),
        False, False, "nodeSelector color=blue does not match",
    ),
    placed(
        "template nodeName is another node", node("node-0"), daemonset(node_name="node-1"),
        False, False, "template nodeName node-1 is another node",
    ),
    placed(
        "template nodeName is this node", node("node-1"), daemonset(node_name="node-1"),
        True, True, "template nodeName node-1 is this node",
    ),
    placed(
        "NoSchedule taint not tolerated", node("node-0", taints=[GPU]), daemonset(),
        False, True, "taint dedicated=gpu:NoSchedule not tolerated",
    ),
    placed(
        "NoExecute taint not tolerated", node("node-0", taints=[GPU_NO_EXECUTE]), daemonset(),
        False, False, "taint dedicated=gpu:NoExecute not tolerated",
    ),
    placed(
        "NoSchedule taint tolerated by the template",
        node("node-0", taints=[GPU]),
        daemonset(tolerations=[{"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}]),
        True, True, "taint dedicated=gpu:NoSchedule tolerated",
    ),
    placed(
        "empty key with Exists tolerates everything", node("node-0", taints=[GPU]),
        daemonset(tolerations=[{"operator": "Exists"}]),
        True, True, "taint dedicated=gpu:NoSchedule tolerated",
    ),
    placed(
        "Equal toleration with another value", node("node-0", taints=[GPU]),
        daemonset(tolerations=[{"key": "dedicated", "operator": "Equal", "value": "cpu"}]),
        False, True, "taint dedicated=gpu:NoSchedule not tolerated",
    ),
    placed(
        "toleration for another effect", node("node-0", taints=[GPU_NO_EXECUTE]),
        daemonset(tolerations=[{"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}]),
        False, False, "taint dedicated=gpu:NoExecute not tolerated",
    ),
    placed(
        "PreferNoSchedule ignored", node("node-0", taints=[taint("dedicated", "PreferNoSchedule")]), daemonset(),
        True, True, NOTHING_KEEPS_IT_OFF,
    ),
    placed(
        "unreachable NoExecute tolerated automatically", node("node-0", taints=[taint(UNREACHABLE, "NoExecute")]),
        daemonset(),
        True, True, f"taint {UNREACHABLE}:NoExecute tolerated (DaemonSet pods tolerate it)",
    ),
    placed(
        "not-ready NoSchedule blocks new pods only",
        node("node-0", taints=[taint(NOT_READY, "NoSchedule"), taint(NOT_READY, "NoExecute")]), daemonset(),
        False, True, f"taint {NOT_READY}:NoSchedule not tolerated",
    ),
    placed(
        "cordoned node", node("node-0", taints=[taint("node.kubernetes.io/unschedulable")]), daemonset(),
        True, True, "taint node.kubernetes.io/unschedulable:NoSchedule tolerated (DaemonSet pods tolerate it)",
    ),
    placed(
        "control-plane taint", node("node-0", taints=[CONTROL_PLANE]), daemonset(),
        False, True, "taint node-role.kubernetes.io/control-plane:NoSchedule not tolerated",
    ),
    placed(
        "network-unavailable without hostNetwork", node("node-0", taints=[NETWORK_UNAVAILABLE]), daemonset(),
        False, True, "taint node.kubernetes.io/network-unavailable:NoSchedule not tolerated",
    ),
    placed(
        "network-unavailable with hostNetwork", node("node-0", taints=[NETWORK_UNAVAILABLE]),
        daemonset(host_network=True),
        True, True, "taint node.kubernetes.io/network-unavailable:NoSchedule tolerated (DaemonSet pods tolerate it)",
    ),
]


@pytest.mark.parametrize("the_node, ds, expected", PLACEMENT_CASES)
def test_node_should_run_daemon_pod(the_node, ds, expected):
    assert node_should_run_daemon_pod(the_node, ds) == expected


def required(*terms):
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": list(terms)}}}


def expr(key, operator, *values):
    result = {"key": key, "operator": operator}
    if values:
        result["values"] = list(values)
    return result


ZONE_A = {"zone": "a", "cores": "8"}

AFFINITY_CASES = [
    pytest.param(required({"matchExpressions": [expr("zone", "In", "a", "b")]}), True, id="In matches"),
    pytest.param(required({"matchExpressions": [expr("zone", "In", "b")]}), False, id="In misses"),
    pytest.param(required({"matchExpressions": [expr("zone", "NotIn", "b")]}), True, id="NotIn matches"),
    pytest.param(required({"matchExpressions": [expr("gpu", "NotIn", "x")]}), True, id="NotIn matches an absent label"),
    pytest.param(required({"matchExpressions": [expr("zone", "Exists")]}), True, id="Exists"),
    pytest.param(required({"matchExpressions": [expr("zone", "DoesNotExist")]}), False, id="DoesNotExist"),
    pytest.param(required({"matchExpressions": [expr("cores", "Gt", "4")]}), True, id="Gt"),
    pytest.param(required({"matchExpressions": [expr("cores", "Lt", "4")]}), False, id="Lt"),
    pytest.param(required({"matchExpressions": [expr("zone", "Gt", "4")]}), False, id="Gt on a non-integer label"),
    pytest.param(required({"matchExpressions": [expr("zone", "In", "a"), expr("cores", "Gt", "16")]}), False, id="expressions are ANDed"),
    pytest.param(required({"matchExpressions": [expr("zone", "In", "b")]}, {"matchExpressions": [expr("cores", "Gt", "4")]}), True, id="terms are ORed"),
    pytest.param(required({"matchFields": [expr("metadata.name", "In", "node-0")]}), True, id="matchFields metadata.name In"),
    pytest.param(required({"matchFields": [expr("metadata.name", "NotIn", "node-0")]}), False, id="matchFields metadata.name NotIn"),
    pytest.param(required({}), False, id="empty term matches nothing"),
    pytest.param(required(), False, id="no terms match nothing"),
    pytest.param(required({"matchExpressions": [expr("zone", "In")]}), False, id="In without values is malformed"),
]


@pytest.mark.parametrize("affinity, should_run", AFFINITY_CASES)
def test_required_node_affinity(affinity, should_run):
    should, cont, reason = node_should_run_daemon_pod(node("node-0", ZONE_A), daemonset(affinity=affinity))
    assert (should, cont) == (should_run, should_run)
    assert reason == ("required node affinity matches" if should_run else "required node affinity does not match")


def test_node_selector_and_affinity_must_both_match():
    ds = daemonset(node_selector=BLUE, affinity=required({"matchExpressions": [expr("zone", "In", "a")]}))
    assert node_should_run_daemon_pod(node("node-0", {"zone": "a"}), ds)[:2] == (False, False)
    assert node_should_run_daemon_pod(node("node-0", {"zone": "a", **BLUE}), ds) == (
        True, True, "nodeSelector color=blue matches; required node affinity matches",
    )


# --------------------------------------------------------------------------------------------
# Placement scenarios: one sync, then settle
# --------------------------------------------------------------------------------------------


@dataclass
class Case:
    ds: dict
    nodes: list
    pods: list = field(default_factory=list)
    creates: tuple = ()
    deletes: tuple = ()
    status: dict = field(default_factory=dict)
    events: tuple = ()


def _placement_cases():
    simple = daemonset()
    blue = daemonset(node_selector=BLUE)
    intolerant = daemonset("intolerant")
    cases = {
        "1 five nodes, no selector: a pod per node": Case(
            simple, nodes(5), creates=("node-0", "node-1", "node-2", "node-3", "node-4"),
            status={"desiredNumberScheduled": 5, "currentNumberScheduled": 0, "numberUnavailable": 5},
        ),
        "3 one node: one pod": Case(simple, nodes(1), creates=("node-0",)),
        "7 selector matches no node: nothing": Case(blue, nodes(4), status={"desiredNumberScheduled": 0}),
        "selector matches two of four nodes": Case(blue, nodes(2) + nodes(2, 2, BLUE), creates=("node-2", "node-3")),
        "9 nodeName of a missing node: nothing": Case(daemonset(node_name="node-10"), nodes(3)),
        "nodeName of an existing node: one pod there": Case(daemonset(node_name="node-1"), nodes(3), creates=("node-1",)),
        "11 nodeName and selector disagree: nothing": Case(daemonset(node_name="node-0", node_selector=BLUE), nodes(1) + nodes(2, 1, BLUE)),
        "13 selector deletes unselected pods (C=5, D=4)": Case(
            blue,
            nodes(5) + nodes(5, 5, BLUE),
            pods=[pod(f"p1-{i}", "node-1", blue) for i in range(3)] + [pod("p4", "node-4", blue)],
            creates=("node-5", "node-6", "node-7", "node-8", "node-9"),
            deletes=("p1-0", "p1-1", "p1-2", "p4"),
        ),
        "15 NoSchedule taint, no toleration: no pod": Case(intolerant, [node("tainted", taints=[GPU])]),
        "NoSchedule taint tolerated: pod": Case(
            daemonset(tolerations=[{"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}]),
            [node("tainted", taints=[GPU])], creates=("tainted",),
        ),
        "17 NoSchedule taint keeps a running intolerant pod (misscheduled)": Case(
            intolerant,
            [node("tainted", taints=[GPU])],
            pods=[pod("keep-running-me", "tainted", intolerant)],
            status={"desiredNumberScheduled": 0, "currentNumberScheduled": 0, "numberMisscheduled": 1},
        ),
        "NoExecute taint evicts a running intolerant pod": Case(
            intolerant, [node("tainted", taints=[taint("dedicated", "NoExecute", "gpu")])],
            pods=[pod("stop-running-me", "tainted", intolerant)], deletes=("stop-running-me",),
        ),
        "19 not-ready NoExecute taint: pod": Case(
            simple, [node("tainted", taints=[taint(NOT_READY, "NoExecute")], conditions=[{"type": "Ready", "status": "False"}])],
            creates=("tainted",),
        ),
        "19 unreachable NoExecute taint: pod": Case(
            simple, [node("tainted", taints=[taint(UNREACHABLE, "NoExecute")], conditions=[{"type": "Ready", "status": "Unknown"}])],
            creates=("tainted",),
        ),
        "not-ready NoSchedule+NoExecute: no new pod, existing one stays": Case(
            simple, [node("node-0", taints=[taint(NOT_READY), taint(NOT_READY, "NoExecute")])],
            pods=[pod("survivor", "node-0", simple)], status={"desiredNumberScheduled": 0, "numberMisscheduled": 1},
        ),
        "Ready=False without taints still gets a pod": Case(
            simple, [node("node-0", conditions=[{"type": "Ready", "status": "False"}])], creates=("node-0",),
        ),
        "21 pressure taints: pod": Case(
            simple,
            [node("pressure", taints=[taint(f"node.kubernetes.io/{k}-pressure") for k in ("disk", "memory", "pid")])],
            creates=("pressure",),
        ),
        "cordoned node: pod": Case(simple, [node("cordoned", taints=[taint("node.kubernetes.io/unschedulable")])], creates=("cordoned",)),
        "control-plane taint: no pod": Case(simple, [node("cp", taints=[CONTROL_PLANE])]),
        "control-plane taint tolerated: pod": Case(
            daemonset(tolerations=[{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"}]),
            [node("cp", taints=[CONTROL_PLANE])], creates=("cp",),
        ),
        "23 NetworkUnavailable condition, no taint: pod": Case(
            simple, [node("net", conditions=[{"type": "NetworkUnavailable", "status": "True"}])], creates=("net",),
        ),
        "network-unavailable taint without hostNetwork: no pod": Case(simple, [node("net", taints=[NETWORK_UNAVAILABLE])]),
        "network-unavailable taint with hostNetwork: pod": Case(
            daemonset(host_network=True), [node("net", taints=[NETWORK_UNAVAILABLE])], creates=("net",),
        ),
        "node affinity picks one node": Case(
            daemonset(affinity=required({"matchExpressions": [expr("zone", "In", "a")]})),
            [node("node-0", {"zone": "a"}), node("node-1", {"zone": "b"})], creates=("node-0",),
        ),
        "25 only pod on the node is terminating: wait": Case(
            simple, nodes(1), pods=[pod("node-0-x", "node-0", simple, terminating=True)],
            status={"currentNumberScheduled": 1},
        ),
        "failed pod already being deleted is ignored: create": Case(
            simple, nodes(1), pods=[pod("gone", "node-0", simple, phase="Failed", terminating=True)], creates=("node-0",),
        ),
        "29 user deleted a pod: recreated on that node": Case(
            simple, nodes(3), pods=pods_on(simple, ["node-0", "node-2"]), creates=("node-1",),
        ),
        "31 node deleted: unbound pod aimed at it deleted, bound one left to pod GC": Case(
            simple, nodes(2),
            pods=pods_on(simple, ["node-0", "node-1"])
            + [pod("unbound", "node-9", simple, bound=False), pod("bound", "node-8", simple)],
            deletes=("unbound",), status={"desiredNumberScheduled": 2, "currentNumberScheduled": 2},
        ),
        "extra pods: keep the bound oldest": Case(
            simple, nodes(1),
            pods=[
                pod("a-unbound-oldest", "node-0", simple, bound=False, created=-900),
                pod("b-bound", "node-0", simple, created=-100),
                pod("c-bound-older", "node-0", simple, created=-200),
                pod("d-bound-older-tie", "node-0", simple, created=-200),
            ],
            deletes=("d-bound-older-tie", "b-bound", "a-unbound-oldest"),
        ),
        "succeeded pod deleted, replaced next pass": Case(
            simple, nodes(1), pods=[pod("done", "node-0", simple, phase="Succeeded", ready=False)], deletes=("done",),
            events=(Event("Normal", "SucceededDaemonPod", "Found succeeded daemon pod default/done on node node-0, will try to delete it"),),
        ),
        "27 empty selector: SelectingAll, nothing else": Case(
            daemonset(selector={}), nodes(2), pods=pods_on(simple, ["node-0"]),
            status={"observedGeneration": 1},
            events=(Event("Warning", "SelectingAll", "This daemon set is selecting all pods. A non-empty selector is required."),),
        ),
    }
    return [pytest.param(case, id=name) for name, case in cases.items()]


@pytest.mark.parametrize("case", _placement_cases())
def test_one_sync(case):
    world = World(case.ds, case.nodes, case.pods)
    plan = world.sync()
    assert plan.create_on == case.creates
    assert plan.delete == case.deletes
    assert plan.events == case.events
    assert {k: plan.status.get(k) for k in case.status} == case.status
    world.apply(plan)
    world.settle()


def test_1_created_pods_are_unbound_and_pinned_by_node_affinity():
    ds = daemonset()
    plan = World(ds, nodes(5)).sync()
    for node_name in plan.create_on:
        created = plan.pod_for(ds, node_name)
        assert "nodeName" not in created["spec"]
        assert created["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] == {
            "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node_name]}]}]
        }
        assert target_node(created) == node_name
    assert decision(plan, "node-3").message == "node-3: no pod, should run: create"


def test_decisions_explain_skips():
    ds = daemonset()
    plan = World(ds, [node("node-4", taints=[taint("dedicated", value="gpu")])]).sync()
    assert decision(plan, "node-4").message == "node-4: taint dedicated=gpu:NoSchedule not tolerated: skip"
    assert decision(plan, "node-4").verdict == "skip"


def test_5_label_flip_short_form():
    ds = daemonset(node_selector=BLUE)
    world = World(ds, [node("node-0", BLUE), node("node-1"), node("node-2")])
    world.settle()
    assert sorted(world.pods_by_node()) == ["node-0"]

    world.nodes[1]["metadata"]["labels"] = dict(BLUE)
    assert counts(world.step()) == (1, 0)
    assert sorted(world.pods_by_node()) == ["node-0", "node-1"]

    world.nodes[0]["metadata"]["labels"] = {}
    plan = world.step()
    assert counts(plan) == (0, 1)
    assert decision(plan, "node-0").message.startswith("node-0: nodeSelector color=blue does not match; delete pod")
    assert sorted(world.pods_by_node()) == ["node-1"]
    world.settle()


def test_5_label_flip_e2e_form():
    world = World(daemonset(node_selector=BLUE), [node("node-0")])
    world.settle()
    assert world.pods == []

    world.nodes[0]["metadata"]["labels"] = dict(BLUE)
    world.settle()
    assert list(world.pods_by_node()) == ["node-0"]

    world.nodes[0]["metadata"]["labels"] = {"color": "green"}
    assert counts(world.step()) == (0, 1)
    assert world.pods == []

    world.update_template(node_selector={"color": "green"})
    assert world.step().create_on == ("node-0",)
    world.settle()
    assert len(world.revisions) == 2


def test_49_daemonset_being_deleted_does_nothing():
    ds = daemonset()
    ds["metadata"]["deletionTimestamp"] = ts(0)
    world = World(ds, nodes(2), pods_on(ds, ["node-0"]))
    plan = world.sync()
    assert plan.is_empty and plan.events == ()
    assert plan.status == ds["status"]
    world.settle()


def test_31_decisions_for_a_vanished_node():
    ds = daemonset()
    world = World(ds, nodes(1), [pod("unbound", "node-9", ds, bound=False), pod("bound", "node-8", ds)])
    plan = world.sync()
    assert decision(plan, "node-9").message == "node-9: node no longer exists; delete unbound pod unbound: delete"
    assert decision(plan, "node-8").message == "node-8: node no longer exists; bound pod bound is left to pod GC: skip"
    assert plan.status["desiredNumberScheduled"] == 1


def test_unbound_pods_count_for_their_target_node():
    ds = daemonset()
    world = World(ds, nodes(1), [pod("pending", "node-0", ds, bound=False, phase="Pending", ready=False)])
    plan = world.sync()
    assert plan.is_empty
    assert plan.status["currentNumberScheduled"] == 1
    world.settle()


def test_burst_replicas_caps_creations_and_deletions():
    ds = daemonset(node_selector=BLUE)
    many = nodes(300, labels=BLUE)
    plan = World(ds, many).sync()
    assert len(plan.create_on) == 250
    assert any("burst limit: 250 of 300 creations" in note for note in plan.notes)

    world = World(ds, nodes(300), [pod(f"x{i}", f"node-{i}", ds) for i in range(300)])
    assert len(world.sync().delete) == 250
    world.settle()


@pytest.mark.parametrize(
    "count, batches",
    [(0, []), (1, [1]), (3, [1, 2]), (7, [1, 2, 4]), (10, [1, 2, 4, 3]), (250, [1, 2, 4, 8, 16, 32, 64, 123])],
)
def test_slow_start_batches(count, batches):
    assert slow_start_batches(count) == batches
    assert sum(batches) == count


# --------------------------------------------------------------------------------------------
# Failed pods and back-off
# --------------------------------------------------------------------------------------------

STRATEGIES = [pytest.param({}, id="RollingUpdate"), pytest.param({"on_delete": True}, id="OnDelete")]


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize(
    "failed, normal, creates, deletes, events",
    [
        pytest.param(0, 1, 0, 0, 0, id="normal (do nothing)"),
        pytest.param(0, 0, 1, 0, 0, id="no pods (create 1)"),
        pytest.param(1, 0, 0, 1, 1, id="1 failed pod (kill 1), 0 normal pod (create 0; will create in the next sync)"),
        pytest.param(1, 3, 0, 3, 1, id="1 failed pod (kill 1), 3 normal pods (kill 2)"),
    ],
)
def test_daemon_kill_failed_pods(strategy, failed, normal, creates, deletes, events):
    ds = daemonset(**strategy)
    existing = [pod(f"failed-{i}", "node-0", ds, phase="Failed", ready=False) for i in range(failed)]
    existing += [pod(f"normal-{i}", "node-0", ds, created=-600 + i) for i in range(normal)]
    world = World(ds, nodes(1), existing)
    plan = world.sync()
    assert counts(plan) == (creates, deletes)
    assert len(plan.events) == events
    world.apply(plan)
    world.settle()
    assert len(world.pods) == 1


def test_surge_replaces_a_failed_pod_in_the_same_pass():
    ds = daemonset(max_unavailable=0, max_surge=1)
    world = World(ds, nodes(1), [pod("failed", "node-0", ds, phase="Failed", ready=False)])
    plan = world.sync()
    assert counts(plan) == (1, 1)
    world.apply(plan)
    world.settle()


def test_33_failed_pod_backoff_windows():
    ds = daemonset()
    world = World(ds, nodes(1), [pod("f1", "node-0", ds, phase="Failed", ready=False)])

    plan = world.step()
    assert plan.delete == ("f1",)
    assert plan.events == (Event("Warning", "FailedDaemonPod", "Found failed daemon pod default/f1 on node node-0, will try to kill it"),)
    assert plan.backoff == {"1/node-0": {"delay": 1.0, "last": ts(0)}}
    assert plan.requeue_after is None

    world.pods = [pod("f2", "node-0", ds, phase="Failed", ready=False)]
    world.now = T0 + timedelta(seconds=0.5)
    plan = world.step()
    assert plan.is_empty and plan.events == ()
    assert plan.requeue_after == pytest.approx(0.5)
    assert decision(plan, "node-0").message == "node-0: pod f2 failed; back-off 0.5s before replacing it: wait"

    world.now = T0 + timedelta(seconds=1)  # the window [T0, T0+1s) is over
    plan = world.step()
    assert plan.delete == ("f2",) and len(plan.events) == 1
    assert plan.backoff["1/node-0"]["delay"] == 2.0

    world.pods = [pod("f3", "node-0", ds, phase="Failed", ready=False)]
    world.now = T0 + timedelta(seconds=2.5)
    assert world.step().is_empty
    world.now = T0 + timedelta(seconds=3)
    plan = world.step()
    assert plan.delete == ("f3",)
    assert plan.backoff["1/node-0"]["delay"] == 4.0
    world.settle()
    assert [p["status"]["phase"] for p in world.pods] == ["Running"]


def test_backoff_resets_when_the_generation_changes():
    ds = daemonset()
    world = World(ds, nodes(1), [pod("f1", "node-0", ds, phase="Failed", ready=False)])
    world.backoff = {"1/node-0": {"delay": 8.0, "last": ts(-1)}}
    assert world.step().is_empty  # in back-off for generation 1
    world.update_template(image="nginx:2")
    world.ds["status"]["observedGeneration"] = 2
    plan = world.step()
    assert plan.delete == ("f1",)
    assert plan.backoff == {"2/node-0": {"delay": 1.0, "last": ts(0)}}
    world.settle()


# --------------------------------------------------------------------------------------------
# Status
# --------------------------------------------------------------------------------------------


def test_35_number_ready_status():
    ds = daemonset()
    world = World(ds, nodes(2), pods_on(ds, ["node-0", "node-1"], ready=False))
    plan = world.step()
    assert plan.is_empty
    assert (plan.status["numberReady"], plan.status["numberAvailable"]) == (0, 0)
    world.mark_ready()
    plan = world.step()
    assert (plan.status["numberReady"], plan.status["numberAvailable"], plan.status["numberUnavailable"]) == (2, 2, 0)
    world.settle()


def test_available_waits_for_min_ready_seconds():
    ds = daemonset(min_ready_seconds=10)
    world = World(ds, nodes(2), pods_on(ds, ["node-0", "node-1"], ready_since=-5))
    plan = world.step()
    assert (plan.status["numberReady"], plan.status["numberAvailable"]) == (2, 0)
    assert plan.requeue_after == 6.0  # available after T0+5s, woken 1s later (upstream's updatePod)
    world.now = T0 + timedelta(seconds=5)  # ready for exactly 10s: not yet ("strictly before")
    assert world.step().status["numberAvailable"] == 0
    world.now = T0 + timedelta(seconds=6)
    plan = world.step()
    assert plan.status["numberAvailable"] == 2
    assert plan.requeue_after is None
    world.settle()


def test_37_observed_generation():
    ds = daemonset(observed_generation=0)
    world = World(ds, nodes(1), pods_on(ds, ["node-0"]))
    plan = world.sync()
    assert plan.status["observedGeneration"] == 1
    assert plan.status_changed(ds["status"])
    world.apply(plan)
    world.settle()


def test_status_counters_for_a_mixed_cluster():
    old = daemonset(node_selector=BLUE, image="nginx:0")
    ds = with_template(old, node_selector=BLUE)
    world = World(
        ds,
        [node("node-0", BLUE), node("node-1", BLUE), node("node-2", BLUE), node("node-3")],
        [pod("p0", "node-0", ds), pod("p1", "node-1", old), pod("p3", "node-3", ds)],
    )
    status = world.sync().status
    assert {k: status[k] for k in (
        "desiredNumberScheduled", "currentNumberScheduled", "numberMisscheduled", "numberReady",
        "updatedNumberScheduled", "numberAvailable", "numberUnavailable", "observedGeneration",
    )} == {
        "desiredNumberScheduled": 3, "currentNumberScheduled": 2, "numberMisscheduled": 1, "numberReady": 2,
        "updatedNumberScheduled": 1, "numberAvailable": 2, "numberUnavailable": 1, "observedGeneration": 2,
    }


def test_status_differs_like_store_daemonset_status():
    status = {"desiredNumberScheduled": 2, "currentNumberScheduled": 2, "numberMisscheduled": 0, "numberReady": 2,
              "updatedNumberScheduled": 2, "numberAvailable": 2, "numberUnavailable": 0, "observedGeneration": 3}
    assert not status_differs(status, dict(status))
    assert not status_differs({**status, "observedGeneration": 4}, status)
    assert status_differs({**status, "observedGeneration": 2}, status)
    assert status_differs({**status, "numberReady": 1}, status)
    assert status_differs(None, status)
    assert status_differs(status, {**status, "collisionCount": 1})


# --------------------------------------------------------------------------------------------
# Rolling updates
# --------------------------------------------------------------------------------------------


def rolled_out_world(count=5, **ds_options):
    ds = daemonset(**ds_options)
    world = World(ds, nodes(count))
    world.settle()
    return world


def test_rolling_update_max_unavailable_2_walk():
    world = rolled_out_world(max_unavailable=2)
    world.update_template(image="nginx:2")
    expected = [(0, 2), (2, 0), (0, 2), (2, 0), (0, 1), (1, 0)]
    assert [counts(world.step()) for _ in expected] == expected
    world.settle()
    new_hash = world.history.current_hash
    assert all(hashes == [new_hash] for hashes in world.hashes_by_node().values())


def test_rolling_update_deletes_in_node_name_order_and_explains():
    world = rolled_out_world(max_unavailable=1)
    world.update_template(image="nginx:2")
    node_0_pod = world.pods_by_node()["node-0"][0]["metadata"]["name"]
    plan = world.step()
    assert plan.delete == (node_0_pod,)
    assert decision(plan, "node-0").verdict == "update"
    assert decision(plan, "node-1").message.endswith("waits: maxUnavailable 1 reached: wait")
    assert "rolling update: maxUnavailable 1 of 5 desired" in plan.notes
    world.settle()


def test_39_updates_stall_when_new_pods_are_not_ready():
    world = rolled_out_world(max_unavailable=3)
    world.update_template(image="nginx:broken")
    assert counts(world.step(ready=False)) == (0, 3)
    assert counts(world.step(ready=False)) == (3, 0)
    world.settle(ready=False)
    new_hash = world.history.current_hash
    updated = sum(hashes == [new_hash] for hashes in world.hashes_by_node().values())
    assert updated == 3
    assert world.ds["status"]["updatedNumberScheduled"] == 3
    assert world.ds["status"]["numberUnavailable"] == 3


def test_all_old_pods_not_ready_are_replaced_regardless_of_budget():
    ds = daemonset(max_unavailable=3)
    world = World(ds, nodes(5))
    world.settle(ready=False)
    world.update_template(image="nginx:2")
    assert counts(world.step()) == (0, 5)
    assert counts(world.step()) == (5, 0)
    world.settle()


def test_41_no_template_change_replaces_nothing():
    world = rolled_out_world()
    world.ds["spec"]["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 3}}
    world.ds["metadata"]["generation"] += 1
    plan = world.step()
    assert plan.is_empty
    assert plan.status["observedGeneration"] == 2
    world.settle()


@pytest.mark.parametrize(
    "max_unavailable, first_deletes",
    [
        pytest.param("30%", 2, id="45 30% of 5 rounds up to 2"),
        pytest.param("20%", 1, id="20% of 5 is 1"),
        pytest.param("50%", 3, id="50% of 5 rounds up to 3"),
        pytest.param(0, 1, id="maxUnavailable 0 and maxSurge 0 fall back to 1"),
    ],
)
def test_max_unavailable_resolution(max_unavailable, first_deletes):
    world = rolled_out_world(max_unavailable=max_unavailable)
    world.update_template(image="nginx:2")
    assert counts(world.step()) == (0, first_deletes)
    world.settle()


def test_43_max_surge_2_pass_by_pass():
    """Upstream's unit test counts C=2, D=2 in one sync because its fake pod control satisfies
    expectations synchronously; here the deletes and the next surge are two passes."""
    world = rolled_out_world(max_unavailable=0, max_surge=2)
    old_names = {p["metadata"]["name"] for p in world.pods}
    world.update_template(image="nginx:2")

    plan = world.step(ready=False)
    assert plan.create_on == ("node-0", "node-1") and plan.delete == ()
    assert decision(plan, "node-0").verdict == "surge"
    assert len(world.pods_by_node()["node-0"]) == 2

    plan = world.step(ready=False)
    assert plan.is_empty
    assert decision(plan, "node-0").message.endswith("keeps serving: wait")
    assert decision(plan, "node-2").verdict == "wait"

    world.mark_ready()
    plan = world.step(ready=False)
    assert counts(plan) == (0, 2)  # manage(): new pods available, old ones go
    assert decision(plan, "node-0").verdict == "update"
    plan = world.step(ready=False)
    assert plan.create_on == ("node-2", "node-3") and plan.delete == ()

    world.mark_ready()
    assert counts(world.step(ready=False)) == (0, 2)
    assert world.step(ready=False).create_on == ("node-4",)
    world.mark_ready()
    assert counts(world.step(ready=False)) == (0, 1)  # the last pass only deletes
    world.settle()
    assert not old_names & {p["metadata"]["name"] for p in world.pods}
    assert all(len(ps) == 1 for ps in world.pods_by_node().values())


def test_surge_with_all_old_pods_not_ready():
    ds = daemonset(max_unavailable=0, max_surge=3)
    world = World(ds, nodes(5))
    world.settle(ready=False)
    world.update_template(image="nginx:2")
    assert counts(world.step(ready=False)) == (5, 0)  # every old pod is unavailable: surge at once
    assert counts(world.step(ready=False)) == (0, 5)  # old and not ready: manage() removes it
    world.settle(ready=False)


def test_surge_waits_for_min_ready_seconds_before_deleting_old_pods():
    world = rolled_out_world(max_unavailable=0, max_surge=5, min_ready_seconds=15)
    world.update_template(image="nginx:2")
    world.now = T0 + timedelta(seconds=300)
    assert counts(world.step(ready=True)) == (5, 0)
    world.now = T0 + timedelta(seconds=310)
    plan = world.step()
    assert plan.is_empty
    assert plan.requeue_after == 6.0  # new pods ready at 300 become available after 315
    world.now = T0 + timedelta(seconds=316)
    assert counts(world.step()) == (0, 5)
    world.settle()


def test_on_delete_keeps_old_pods_until_deleted():
    world = rolled_out_world(on_delete=True)
    world.update_template(image="nginx:2")
    plan = world.step()
    assert plan.is_empty
    assert "OnDelete: pods with an old template are replaced only when deleted" in plan.notes
    assert len(world.revisions) == 2
    world.pods = [p for p in world.pods if target_node(p) != "node-2"]  # a user deletes one
    assert world.step().create_on == ("node-2",)
    world.settle()
    new_hash = world.history.current_hash
    assert world.hashes_by_node()["node-2"] == [new_hash]
    assert world.hashes_by_node()["node-0"] != [new_hash]
    assert world.ds["status"]["updatedNumberScheduled"] == 1


def test_update_strategy_waits_while_manage_acts():
    world = rolled_out_world()
    world.nodes.append(node("node-5"))
    world.update_template(image="nginx:2")
    plan = world.step()
    assert plan.create_on == ("node-5",) and plan.delete == ()
    assert any(note.startswith("update strategy waits for the next pass") for note in plan.notes)
    assert counts(world.step()) == (0, 1)
    world.settle()


def test_47_rollback_mid_rollout_keeps_untouched_pods():
    world = rolled_out_world()
    first_hash = world.history.current_hash
    names = {target_node(p): p["metadata"]["name"] for p in world.pods}

    world.update_template(image="nginx:broken")
    world.step(ready=False)
    world.settle(ready=False)
    broken = [n for n, hashes in world.hashes_by_node().items() if hashes != [first_hash]]
    assert broken == ["node-0"]

    broken_pod = world.pods_by_node()["node-0"][0]["metadata"]["name"]
    world.update_template(image="nginx:1")  # kubectl rollout undo
    plan = world.step()
    assert world.history.current_hash == first_hash
    assert plan.delete == (broken_pod,)  # unavailable "old" pod: replaced regardless of budget
    assert world.step().create_on == ("node-0",)
    world.settle()
    assert all(hashes == [first_hash] for hashes in world.hashes_by_node().values())
    for node_name in ("node-1", "node-2", "node-3", "node-4"):
        assert world.pods_by_node()[node_name][0]["metadata"]["name"] == names[node_name]
    revisions = sorted((r["revision"], r["metadata"]["labels"][CONTROLLER_REVISION_HASH_LABEL]) for r in world.revisions)
    assert [number for number, _ in revisions] == [2, 3]  # 1,2 → undo to 1 → 2,3
    assert revisions[1][1] == first_hash != revisions[0][1]


# --------------------------------------------------------------------------------------------
# Pods: builder, target node, predicates
# --------------------------------------------------------------------------------------------


def test_new_daemon_pod_shape():
    affinity = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": [expr("zone", "In", "a")]}]},
            "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 1, "preference": {"matchExpressions": [expr("ssd", "Exists")]}}],
        },
        "podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": []},
    }
    ds = daemonset(
        "logs",
        affinity=affinity,
        tolerations=[{"key": NOT_READY, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}],
        generation=4,
    )
    ds["spec"]["template"]["metadata"]["annotations"] = {"team": "infra"}
    created = new_daemon_pod(ds, "node-7", "abc123")

    assert created["metadata"] == {
        "generateName": "logs-",
        "namespace": "default",
        "labels": {"app": "logs", "controller-revision-hash": "abc123", "pod-template-generation": "4"},
        "annotations": {"team": "infra"},
        "ownerReferences": [
            {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "logs", "uid": "uid-logs",
             "controller": True, "blockOwnerDeletion": True}
        ],
    }
    assert created["status"] == {"phase": "Pending"}
    assert "nodeName" not in created["spec"]
    tolerations = created["spec"]["tolerations"]
    assert tolerations[0] == {"key": NOT_READY, "operator": "Exists", "effect": "NoExecute"}
    assert [t["key"] for t in tolerations] == [
        NOT_READY, UNREACHABLE, "node.kubernetes.io/disk-pressure", "node.kubernetes.io/memory-pressure",
        "node.kubernetes.io/pid-pressure", "node.kubernetes.io/unschedulable",
    ]
    node_affinity = created["spec"]["affinity"]["nodeAffinity"]
    assert node_affinity["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"] == [
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["node-7"]}]}
    ]
    preferred = "preferredDuringSchedulingIgnoredDuringExecution"
    assert node_affinity[preferred] == affinity["nodeAffinity"][preferred]
    assert created["spec"]["affinity"]["podAntiAffinity"] == affinity["podAntiAffinity"]
    assert ds["spec"]["template"]["spec"]["affinity"] == affinity  # the DaemonSet is not touched


def test_new_daemon_pod_defaults_template_generation_and_adds_host_network_toleration():
    ds = daemonset(host_network=True)
    del ds["metadata"]["annotations"]
    created = new_daemon_pod(ds, "node-0", "h")
    assert created["metadata"]["labels"]["pod-template-generation"] == "1"
    assert created["spec"]["tolerations"][-1]["key"] == "node.kubernetes.io/network-unavailable"


@pytest.mark.parametrize(
    "spec, expected",
    [
        pytest.param({"nodeName": "node-1"}, "node-1", id="bound"),
        pytest.param(required({"matchFields": [expr("metadata.name", "In", "node-2")]}), "node-2", id="affinity term"),
        pytest.param(required({"matchFields": [expr("metadata.name", "In", "a", "b")]}), None, id="two values"),
        pytest.param(required({"matchExpressions": [expr("zone", "In", "a")]}), None, id="no name term"),
        pytest.param({}, None, id="nothing"),
    ],
)
def test_target_node(spec, expected):
    spec = {"affinity": spec} if "nodeAffinity" in spec else spec
    assert target_node({"metadata": {"name": "p"}, "spec": spec}) == expected


def test_pod_predicates():
    ds = daemonset(generation=3)
    ready = pod("r", "node-0", ds, ready_since=-10)
    assert is_pod_ready(ready)
    assert is_pod_available(ready, 0, T0)
    assert is_pod_available(ready, 9, T0)
    assert not is_pod_available(ready, 10, T0)  # lastTransitionTime + 10s is not before now
    assert not is_pod_ready(pod("n", "node-0", ds, ready=False))
    assert is_pod_updated(ready, hash_of(ds), None)
    assert not is_pod_updated(ready, "other", None)
    assert is_pod_updated(ready, "other", 3)  # pod-template-generation label matches
    assert not is_pod_updated(ready, "other", 4)
    assert is_terminating(pod("t", "node-0", ds, terminating=True))
    assert not is_terminating(ready)


# --------------------------------------------------------------------------------------------
# Hash and history
# --------------------------------------------------------------------------------------------


def test_fnv32a_and_safe_encoding_match_go():
    assert _fnv32a(b"") == 0x811C9DC5
    assert _fnv32a(b"a") == 0xE40C292C
    assert safe_encode_string("0123456789") == "456789bcdf"


def test_compute_hash_is_stable_and_sensitive():
    template = daemonset()["spec"]["template"]
    reordered = {"spec": template["spec"], "metadata": template["metadata"]}
    first = compute_hash(template, None)
    assert first == compute_hash(copy.deepcopy(template), None) == compute_hash(reordered, None)
    assert set(first) <= set("456789bcdf")
    assert 1 <= len(first) <= 10
    assert compute_hash(template, 0) != first
    assert compute_hash(template, 1) != compute_hash(template, 0)
    assert compute_hash(with_template(daemonset(), image="nginx:2")["spec"]["template"], None) != first


def test_first_revision_is_created():
    ds = daemonset()
    history = plan_history(ds, [])
    revision = history.create
    assert history.current is revision
    assert revision["metadata"]["name"] == f"ds-{history.current_hash}"
    assert revision["metadata"]["labels"] == {"app": "ds", "controller-revision-hash": history.current_hash}
    assert revision["metadata"]["ownerReferences"][0]["uid"] == "uid-ds"
    assert revision["revision"] == 1
    assert revision["data"] == {"spec": {"template": {**ds["spec"]["template"], "$patch": "replace"}}}
    again = plan_history(ds, [revision])
    assert (again.create, again.update, again.delete, again.current_hash) == (None, (), (), history.current_hash)


def test_template_change_adds_revision_2():
    ds1 = daemonset()
    rev1 = plan_history(ds1, []).create
    ds2 = with_template(ds1, image="nginx:2")
    history = plan_history(ds2, [rev1])
    assert history.create["revision"] == 2
    assert history.old == (rev1,)
    assert history.current_hash != rev1["metadata"]["labels"]["controller-revision-hash"]


def test_rollback_renumbers_the_matching_revision():
    ds1 = daemonset()
    rev1 = plan_history(ds1, []).create
    ds2 = with_template(ds1, image="nginx:2")
    rev2 = plan_history(ds2, [rev1]).create
    undo = with_template(ds2, image="nginx:1")
    history = plan_history(undo, [rev1, rev2])
    assert history.create is None
    assert history.current_hash == rev1["metadata"]["labels"]["controller-revision-hash"]
    assert [(r["metadata"]["name"], r["revision"]) for r in history.update] == [(rev1["metadata"]["name"], 3)]
    assert plan_history(undo, [history.update[0], rev2]).update == ()


def test_duplicate_current_revisions_are_deduplicated():
    ds = daemonset()
    current = plan_history(ds, []).create
    dup_low = copy.deepcopy(current)
    dup_low["metadata"]["name"] = "ds-dup"
    dup_low["metadata"]["labels"]["controller-revision-hash"] = "dup"
    dup_low["revision"] = 1
    current["revision"] = 3
    old = plan_history(with_template(ds, image="nginx:0"), []).create
    old["revision"] = 2
    pods = [pod("a", "node-0", ds, revision_hash="dup"), pod("b", "node-1", ds)]
    history = plan_history(ds, [dup_low, current, old], pods)
    assert history.current["metadata"]["name"] == current["metadata"]["name"]
    assert history.delete == ("ds-dup",)
    assert history.relabel_pods == ("a",)
    assert history.update == ()


def test_revision_without_hash_label_gets_its_name():
    ds = daemonset()
    revision = plan_history(ds, []).create
    del revision["metadata"]["labels"]["controller-revision-hash"]
    history = plan_history(ds, [revision])
    assert history.update[0]["metadata"]["labels"]["controller-revision-hash"] == revision["metadata"]["name"]
    assert history.current_hash == revision["metadata"]["name"]


def test_hash_collision_bumps_collision_count():
    ds = daemonset()
    squatter = plan_history(with_template(ds, image="other"), []).create
    squatter["metadata"]["name"] = f"ds-{compute_hash(ds['spec']['template'], None)}"
    history = plan_history(ds, [squatter])
    assert history.collision_count == 1
    assert history.current_hash == compute_hash(ds["spec"]["template"], 1)
    assert history.create["metadata"]["name"] == f"ds-{history.current_hash}"
    assert history.create["revision"] == 2


def _history_with_old_revisions(limit, count):
    ds = daemonset(revision_history_limit=limit)
    revisions = []
    for n in range(1, count + 1):
        revision = plan_history(with_template(ds, image=f"old:{n}"), []).create
        revision["revision"] = n
        revisions.append(revision)
    return ds, revisions


def test_cleanup_respects_history_limit_and_live_pods():
    ds, revisions = _history_with_old_revisions(limit=2, count=5)
    history = plan_history(ds, revisions)
    live = pod("old", "node-0", ds, revision_hash=revisions[1]["metadata"]["labels"]["controller-revision-hash"])
    doomed = history.cleanup([live])
    assert doomed == tuple(revisions[i]["metadata"]["name"] for i in (0, 2, 3))
    assert history.current["metadata"]["name"] not in doomed


def test_cleanup_keeps_everything_within_the_limit():
    ds, revisions = _history_with_old_revisions(limit=10, count=5)
    assert plan_history(ds, revisions).cleanup([]) == ()


def test_world_history_converges_with_limit_zero():
    world = rolled_out_world(revision_history_limit=0)
    world.update_template(image="nginx:2")
    world.settle()
    assert [r["revision"] for r in world.revisions] == [2]
