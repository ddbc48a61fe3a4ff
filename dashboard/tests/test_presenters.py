"""Presenters: every class, word and number the templates print is computed here."""
from datetime import datetime, timedelta, timezone

import pytest

from dashboard import presenters as p
from dashboard import workloads as w

T0 = datetime(2026, 1, 1, 0, 2, 0, tzinfo=timezone.utc)


def at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize("name, generate, owner, expected", [
    ("my-first-daemonset-kg2z2", "my-first-daemonset-", "my-first-daemonset", ("my-first-daemonset-", "kg2z2")),
    ("hello-world-5ptxq", "", "hello-world", ("hello-world-", "5ptxq")),
    ("squares-3-b2n7f", "squares-3-", "squares", ("squares-3-", "b2n7f")),
    ("gpu-test", "", "", ("", "gpu-test")),
], ids=["generateName", "owner prefix", "indexed", "no owner"])
def test_pod_names_split_into_dim_prefix_and_strong_suffix(name, generate, owner, expected):
    assert p.split_name(name, generate, owner) == expected


@pytest.mark.parametrize("status, phase, css", [
    ("Pending", "Pending", "is-pending"), ("ContainerCreating", "Pending", "is-creating"),
    ("Running", "Running", "is-running"), ("Completed", "Succeeded", "is-succeeded"),
    ("Error", "Failed", "is-failed"), ("OOMKilled", "Running", "is-failed"),
    ("CrashLoopBackOff", "Running", "is-crashloop"), ("Terminating", "Running", "is-terminating"),
    ("Init:0/1", "Pending", "is-creating"), ("Init:CrashLoopBackOff", "Pending", "is-crashloop"),
    ("ExitCode:3", "Failed", "is-failed"), ("Whatever", "Running", "is-running"),
])
def test_phase_class_comes_from_kubectls_status_word(status, phase, css):
    assert p.phase_class(status, phase) == css


def node(name, labels=None, taints=None, ready="True"):
    return {"kind": "Node", "metadata": {"name": name, "labels": labels or {}, "creationTimestamp": at(0)},
            "spec": {"taints": taints or []},
            "status": {"conditions": [{"type": "Ready", "status": ready, "lastTransitionTime": at(0)}]}}


def daemonset(node_selector=None, tolerations=None):
    spec = {"containers": [{"name": "c", "image": "nginx"}]}
    if node_selector:
        spec["nodeSelector"] = node_selector
    if tolerations:
        spec["tolerations"] = tolerations
    return {"kind": "DaemonSet", "metadata": {"name": "ds", "namespace": "default", "uid": "u1"},
            "spec": {"selector": {"matchLabels": {"app": "x"}}, "template": {"metadata": {"labels": {"app": "x"}}, "spec": spec}}}


def test_a_ghost_says_a_pod_is_wanted_on_a_new_node():
    ghost = p.ds_ghost(daemonset(), node("node-4"), {}, T0, has_pod=False)
    assert ghost.wanted and ghost.text == "wanted here"
    assert "next reconcile" in ghost.detail


def test_a_ghost_explains_a_taint_that_is_not_tolerated():
    ghost = p.ds_ghost(daemonset(), node("node-6", taints=[{"key": "gpu", "value": "true", "effect": "NoSchedule"}]),
                       {}, T0, has_pod=False)
    assert not ghost.wanted
    assert ghost.text == "not here: taint gpu=true:NoSchedule not tolerated"
    assert ghost.css == "ghost is-excluded"


def test_a_ghost_counts_down_the_failed_pod_back_off():
    memory = {"backoff": {"1/node-2": {"delay": 8, "last": at(-3)}}}
    ghost = p.ds_ghost(daemonset(), node("node-2"), memory, T0, has_pod=False)
    assert ghost.detail == "back-off" and ghost.seconds == "5"
    assert ghost.due == at(5)


def test_no_ghost_where_the_pod_is():
    assert p.ds_ghost(daemonset(), node("node-1"), {}, T0, has_pod=True) is None


def test_a_node_selector_mismatch_is_not_wanted():
    ghost = p.ds_ghost(daemonset({"disk": "ssd"}), node("node-1"), {}, T0, has_pod=False)
    assert ghost.text == "not here: nodeSelector disk=ssd does not match"


def test_the_filter_greys_other_owners_and_labels():
    flt = p.PodFilter.from_params({"owner": "Job/pi", "l": "app=pi"})
    chip = p.PodChip("default", "pi-x", "pi-", "x", "Running", "is-running", "1/1", "0", "1s", "n1", "Job", "pi",
                     "Running", "/", None)
    assert flt.matches(chip, {"app": "pi"})
    assert not flt.matches(chip, {"app": "web"})
    chip.owner_name = "other"
    assert not flt.matches(chip, {"app": "pi"})
    assert p.PodFilter.from_params({"l": "a in (b"}).error


def failing_job(status=None):
    return {"kind": "Job", "metadata": {"name": "hello-world", "namespace": "default", "uid": "j1",
                                        "creationTimestamp": at(10)},
            "spec": {"backoffLimit": 4, "completions": 1, "parallelism": 1,
                     "template": {"spec": {"restartPolicy": "Never",
                                           "containers": [{"name": "hello-world", "image": "redis",
                                                           "command": ["sh", "-c", "exit 1"]}]}}},
            "status": status or {"startTime": at(10)}}


def history_entries(style):
    exit_key, backoff_key = ("exitCode", "backoffSeconds") if style == "camel" else ("exit_code", "backoff_before")
    rows = []
    for i, (created, finished, backoff) in enumerate([(10, 14, 0), (24, 27, 10), (47, 50, 20)]):
        rows.append({"pod": f"hello-world-{'bcdfg'[i] * 5}", "node": "node-1", "created": at(created),
                     "started": at(created + 3), "finished": at(finished), exit_key: 1, "reason": "Error",
                     "phase": "Failed", "restarts": 0, backoff_key: backoff})
    return rows


@pytest.mark.parametrize("style", ["camel", "snake"])
def test_attempts_are_read_from_the_job_controllers_history_in_either_key_style(style):
    attempts = w.job_attempts(history_entries(style), [], T0 + timedelta(seconds=60))
    assert [a.n for a in attempts] == [1, 2, 3]
    assert [a.exit_code for a in attempts] == [1, 1, 1]
    assert [a.backoff_before for a in attempts] == [0, 10, 20]
    assert all(a.gone for a in attempts)  # no live pods: the pods were deleted


def test_the_timeline_draws_back_off_gaps_and_the_limit_line_and_waits_for_the_next_pod():
    now = T0 + timedelta(seconds=60)
    history = history_entries("camel")
    memory = {"backoff": {"failuresAfterLastSuccess": 3, "lastFailureTime": at(50)}}
    job = failing_job({"startTime": at(10), "failed": 3})
    tl = w.build_timeline(job, w.job_attempts(history, [], now), now, memory)
    attempts = [r for r in tl.rows if r.kind == "attempt"]
    assert [r.gap["label"] if r.gap else None for r in attempts] == [None, "10 s", "20 s"]
    waiting = next(r for r in tl.rows if r.kind == "waiting")
    assert waiting.gap["label"] == "40 s" and waiting.gap["live"]
    assert waiting.countdown["due"] == at(90) and waiting.countdown["seconds"] == "30"
    projected = [r for r in tl.rows if r.kind == "projected"]
    assert [r.label for r in projected] == ["only if #4 fails"]
    assert tl.rows[3].limit_after  # the backoffLimit 4 line sits under the 4th row
    assert tl.explain_title == "Why nothing is running:"
    # the axis covers the worst case, so bars never rescale while time passes
    later = w.build_timeline(job, w.job_attempts(history, [], now + timedelta(seconds=20)), now + timedelta(seconds=20), memory)
    assert later.span == tl.span and later.axis_start == tl.axis_start


def test_the_timeline_degrades_to_the_pods_when_the_controller_remembers_nothing():
    tl = w.build_timeline(failing_job(), [], T0, {})
    assert tl.empty
    assert tl.explain_title == "Waiting:"


def test_explain_sentences_lose_the_node_prefix_and_verdict_suffix():
    class D:
        message = "node-3: no pod, should run: create → created my-first-daemonset-x7k2p"
        node = "node-3"

    observation, then, kubectl = p._tidy(D)
    assert observation == "node-3 no pod, should run"
    assert then == "→ created my-first-daemonset-x7k2p"
    assert kubectl == ""
