"""Presenter "Back" (←) replays a scenario from a reset up to step N. The cluster it leaves, and the
presenter's counters, must match what a presenter gets by going forward from a reset to step N,
letting the controllers run on the simulated clock between the clicks (as the live driver does).

Names are random, so the clusters are compared through a normalised summary: pods per owner by
phase (and node, for a DaemonSet), the focus object's status and the per-step baselines without
timestamps, and how many times each controller took each kind of decision (a killed and replaced
pod shows up as one more delete and one more create)."""
from collections import Counter
from datetime import timedelta

import pytest

from cluster.models import DaemonSet, Job, Node, Pod
from controllers.engine import Engine
from controllers.models import Decision
from dashboard import scenarios

pytestmark = pytest.mark.django_db

NAME = "default"
SLICE = timedelta(seconds=1)        # the test's "wall clock": the driver moves time in small slices
PATIENCE = timedelta(minutes=10)    # of simulated time: how long a presenter would wait at most


# --- what the presenter waits for before clicking → (this test's own model of a presenter) ----------

def _ds_rolled_out(name):
    def ready(cluster) -> bool:
        ds = DaemonSet.objects.get(cluster=cluster, namespace="default", name=name)
        s = ds.status
        pods = Pod.objects.filter(cluster=cluster, owner_kind="DaemonSet", owner_name=name)
        return (s.get("observedGeneration") == ds.generation and s.get("desiredNumberScheduled", 0) > 0
                and len({s.get(k) for k in ("desiredNumberScheduled", "currentNumberScheduled", "numberReady",
                                            "updatedNumberScheduled", "numberAvailable")}) == 1
                and all(p.phase == "Running" and p.deletion_timestamp is None for p in pods))
    return ready


def _job(name, test):
    def ready(cluster) -> bool:
        job = Job.objects.get(cluster=cluster, namespace="default", name=name)
        return test(job)
    return ready


WAIT_FOR = {
    ("daemonset-basics", 1): _ds_rolled_out("my-first-daemonset"),
    ("daemonset-basics", 2): _ds_rolled_out("my-first-daemonset"),
    ("daemonset-basics", 3): _ds_rolled_out("my-first-daemonset"),
    # the first pod failed and the controller waits out the back-off
    ("job-backoff", 1): _job("hello-world", lambda j: j.status.get("failed", 0) >= 1 and j.status.get("active") == 0),
    # step 3 is "Failed: BackoffLimitExceeded"
    ("job-backoff", 2): _job("hello-world", lambda j: j.finished),
    ("parallel-job", 1): _job("squares", lambda j: j.status.get("active") == 3 and j.status.get("ready") == 3),
    ("rolling-update", 1): _ds_rolled_out("web"),
    ("rolling-update", 2): _ds_rolled_out("web"),
}


def _wait(cluster, slug, number):
    ready = WAIT_FOR[(slug, number)]
    engine = Engine(cluster)
    deadline = engine.clock.now() + PATIENCE
    engine.advance(SLICE)   # the presenter watches a moment at least: the controllers react first
    while not ready(cluster):
        assert engine.clock.now() < deadline, f"{slug} step {number}: never got there"
        engine.advance(SLICE)


def forward(slug, upto):
    """Reset, then → until step `upto`, waiting for each step's effect before the next click."""
    cluster = scenarios.reset(NAME, slug)
    for number in range(1, upto):
        _wait(cluster, slug, number)
        scenarios.next_step(cluster)
    return cluster


# --- the normalised summary ---------------------------------------------------------------------------

def _norm(value):
    """A status without its timestamps (the two paths need not share the second)."""
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items() if not k.endswith(("Time", "Timestamp"))}
    if isinstance(value, list):
        return [_norm(v) for v in value]
    return value


def summary(cluster, slug) -> dict:
    scenario = scenarios.SCENARIOS[slug]
    state = scenarios.state_for(cluster.name)
    pods = Counter()
    for pod in Pod.objects.filter(cluster=cluster):
        image = ",".join(c.get("image", "") for c in pod.spec.get("containers") or [])
        node = pod.node_name if pod.owner_kind == "DaemonSet" else ""
        pods[(pod.owner_kind, pod.owner_name, node, pod.phase, pod.deletion_timestamp is not None, image)] += 1
    decisions = Counter((d.controller, d.verb) for d in Decision.objects.filter(cluster=cluster))
    return {
        "step": state.step,
        "baselines": {k: _norm(v) for k, v in (state.data or {}).get("counters", {}).items()},
        "focus": _norm(scenarios.counters(cluster, scenario.focus)),
        "nodes": sorted(Node.objects.filter(cluster=cluster).values_list("name", flat=True)),
        "pods": sorted(pods.items()),
        "jobs": sorted(Job.objects.filter(cluster=cluster).values_list("name", "finished")),
        "decisions": sorted(decisions.items()),
    }


def summaries(cluster, slug) -> list[dict]:
    """Right after arriving at the step, and once the controllers have played it out for a minute."""
    first = summary(cluster, slug)
    Engine(cluster).advance(timedelta(seconds=60))
    return [first, summary(cluster, slug)]


CASES = [(slug, n) for slug, s in scenarios.SCENARIOS.items() for n in range(2, len(s.steps) + 1)]


@pytest.mark.parametrize("slug,number", CASES, ids=[f"{s}-step{n}" for s, n in CASES])
def test_reset_upto_step_matches_going_forward(slug, number):
    expected = summaries(forward(slug, number), slug)
    replayed = summaries(scenarios.reset(NAME, slug, upto=number), slug)
    assert replayed == expected


BACK = [(slug, n) for slug, n in CASES if n < len(scenarios.SCENARIOS[slug].steps)]


@pytest.mark.parametrize("slug,number", BACK, ids=[f"{s}-step{n + 1}-back" for s, n in BACK])
def test_back_from_the_next_step_matches_going_forward(slug, number):
    expected = summaries(forward(slug, number), slug)
    cluster = forward(slug, number + 1)
    back = scenarios.previous_step(cluster)
    assert scenarios.state_for(NAME).step == number
    assert summaries(back, slug) == expected


def test_back_in_daemonset_basics_kills_a_pod_and_keeps_the_baseline():
    """The reviewer's case: → → → (step 4), ← : step 3 "Kill a pod" with the pod on node-2 killed."""
    cluster = forward("daemonset-basics", 4)
    cluster = scenarios.previous_step(cluster)
    state = scenarios.state_for(NAME)
    assert state.step == 3
    baseline = state.data["counters"]["3"]
    assert baseline["desiredNumberScheduled"] == 3 and baseline["numberReady"] == 3
    killed = Pod.objects.filter(cluster=cluster, owner_name="my-first-daemonset", node_name="node-2",
                                deletion_timestamp__isnull=False)
    assert killed.count() == 1
    assert Decision.objects.filter(cluster=cluster, verb="kill pod").count() == 1
    Engine(cluster).advance(timedelta(seconds=30))
    pods = Pod.objects.filter(cluster=cluster, owner_name="my-first-daemonset")
    assert sorted((p.node_name, p.phase) for p in pods) == [("node-1", "Running"), ("node-2", "Running"),
                                                           ("node-3", "Running")]
