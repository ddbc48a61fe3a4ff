"""The Job and CronJob controllers end to end on the simulated clock, with the chapter's Job."""
from __future__ import annotations

import copy
from io import StringIO
from pathlib import Path

import pytest
import yaml

from cluster import kubectl, store
from cluster.models import Change, CronJob, Event, Job, Pod
from cluster.timeutil import parse_time
from controllers import chaos
from controllers.engine import Step
from controllers import job as job_controller
from controllers.job import reconcile_cronjob, reconcile_job
from controllers.job_plan import job_attempts
from controllers.models import ControllerMemory, JobAttempt
from controllers.tests.conftest import add_nodes, seconds

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
HELLO = yaml.safe_load((EXAMPLES / "hello-world-job.yaml").read_text())


def run_kubectl(*argv: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    code = kubectl.run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def job_manifest(name: str = "hello-world", *, command=None, **spec) -> dict:
    job = copy.deepcopy(HELLO)
    job["metadata"]["name"] = name
    if command:
        job["spec"]["template"]["spec"]["containers"][0]["command"] = command
    job["spec"].update(spec)
    return job


def changes_of_one_pass(cluster, engine, reconcile, key: str) -> int:
    before = Change.objects.count()
    reconcile(Step(cluster, engine.clock.now()), key)
    return Change.objects.count() - before


def test_the_chapter_hello_world_job_completes_and_logs(cluster, engine):
    add_nodes(cluster, "node-1")
    code, out, _ = run_kubectl("apply", "-f", str(EXAMPLES / "hello-world-job.yaml"))
    assert out == "job.batch/hello-world created\n"
    engine.run_until_idle()
    _, out, _ = run_kubectl("get", "jobs")
    header, row = out.splitlines()
    assert header.split() == ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"]
    assert row.split()[:3] == ["hello-world", "Complete", "1/1"]
    _, out, _ = run_kubectl("logs", "job/hello-world")
    assert out == "Hello World\n"
    pod = Pod.objects.get(owner_kind="Job")
    assert pod.phase == "Succeeded" and not pod.metadata.get("finalizers")  # counted, released
    assert {"job-name", "controller-uid", "batch.kubernetes.io/job-name", "batch.kubernetes.io/controller-uid"} <= set(pod.labels)
    conditions = [(c["type"], c["reason"]) for c in Job.objects.get().status["conditions"]]
    assert conditions == [("SuccessCriteriaMet", "CompletionsReached"), ("Complete", "CompletionsReached")]
    assert changes_of_one_pass(cluster, engine, reconcile_job, "default/hello-world") == 0


def test_a_failing_job_makes_backoff_limit_plus_one_pods_with_growing_gaps(cluster, engine):
    add_nodes(cluster, "node-1")
    store.create(cluster, job_manifest(command=["sh", "-c", "exit 1"]))
    engine.run_until_idle()
    pods = sorted(Pod.objects.filter(owner_kind="Job"), key=lambda p: p.creation_timestamp)
    assert len(pods) == 5  # backoffLimit 4: the Job fails when failed (5) > 4
    finished = [parse_time(p.status["containerStatuses"][0]["state"]["terminated"]["finishedAt"]) for p in pods]
    gaps = [(b.creation_timestamp - a).total_seconds() for a, b in zip(finished, pods[1:])]
    assert gaps == [10, 20, 40, 80]
    job = Job.objects.get()
    assert job.status["failed"] == 5
    assert [(c["type"], c["reason"]) for c in job.status["conditions"]] == [
        ("FailureTarget", "BackoffLimitExceeded"), ("Failed", "BackoffLimitExceeded")]
    event = Event.objects.get(involved_kind="Job", reason="BackoffLimitExceeded")
    assert event.to_dict()["message"] == "Job has reached the specified backoff limit"
    attempts = [a.data for a in JobAttempt.objects.all()]
    assert [a["exitCode"] for a in attempts] == [1] * 5
    assert [a["backoffSeconds"] for a in attempts] == [0, 10, 20, 40, 80]
    assert changes_of_one_pass(cluster, engine, reconcile_job, "default/hello-world") == 0


def test_parallel_job_runs_two_at_a_time_to_six_completions(cluster, engine):
    add_nodes(cluster, "node-1", "node-2")
    store.create(cluster, job_manifest("par", command=["sh", "-c", "sleep 5"], completions=6, parallelism=2))
    most = 0
    for _ in range(500):
        if not engine.step(until=engine.clock.now() + seconds(600)):
            break
        active = Pod.objects.filter(owner_kind="Job", phase__in=["Pending", "Running"], deletion_timestamp__isnull=True).count()
        most = max(most, active)
    assert most == 2
    job = Job.objects.get()
    assert job.status["succeeded"] == 6 and job.finished
    _, out, _ = run_kubectl("get", "job", "par")
    assert out.splitlines()[1].split()[1:3] == ["Complete", "6/6"]


def test_suspend_deletes_active_pods_and_resume_recreates(cluster, engine):
    add_nodes(cluster, "node-1")
    store.create(cluster, job_manifest("long", command=["sleep", "600"]))
    engine.advance(seconds(10))
    assert Pod.objects.filter(owner_kind="Job", phase="Running").count() == 1
    store.patch(cluster, "Job", "default", "long", {"spec": {"suspend": True}})
    engine.advance(seconds(10))
    assert not Pod.objects.filter(owner_kind="Job").exists()
    job = Job.objects.get()
    assert job.status.get("failed", 0) == 0
    assert ("Suspended", "True") in [(c["type"], c["status"]) for c in job.status["conditions"]]
    store.patch(cluster, "Job", "default", "long", {"spec": {"suspend": False}})
    engine.advance(seconds(10))
    assert Pod.objects.filter(owner_kind="Job", phase="Running").count() == 1


def test_active_deadline_kills_the_running_pod(cluster, engine):
    add_nodes(cluster, "node-1")
    store.create(cluster, job_manifest("slow", command=["sleep", "600"], activeDeadlineSeconds=30))
    engine.advance(seconds(60))
    job = Job.objects.get()
    assert ("Failed", "DeadlineExceeded") in [(c["type"], c.get("reason")) for c in job.status["conditions"]]
    assert not Pod.objects.filter(owner_kind="Job", deletion_timestamp__isnull=True, phase="Running").exists()


def test_ttl_after_finished_deletes_the_job_and_its_pods(cluster, engine):
    add_nodes(cluster, "node-1")
    store.create(cluster, job_manifest("short", ttlSecondsAfterFinished=20))
    engine.advance(seconds(10))
    assert Job.objects.get().finished
    assert JobAttempt.objects.count() == 1 and ControllerMemory.objects.filter(controller="job").count() == 1
    engine.advance(seconds(30))
    assert not Job.objects.exists() and not Pod.objects.filter(owner_kind="Job").exists()
    # what the controller kept about the Job goes with it
    assert not JobAttempt.objects.exists() and not ControllerMemory.objects.filter(controller="job").exists()


def test_a_deleted_running_job_pod_is_replaced_and_counted_failed(cluster, engine):
    add_nodes(cluster, "node-1")
    store.create(cluster, job_manifest("long", command=["sleep", "600"]))
    engine.advance(seconds(10))
    [pod] = Pod.objects.filter(owner_kind="Job")
    chaos.kill_pod(cluster, "default", pod.name)
    engine.advance(seconds(15))
    job = Job.objects.get()
    assert job.status["failed"] == 1
    assert Pod.objects.filter(owner_kind="Job", deletion_timestamp__isnull=True).exclude(name=pod.name).count() == 1


@pytest.mark.parametrize("spec", [
    {"parallelism": 2, "completions": 3, "backoffLimit": 5},
    {"parallelism": 3, "completions": 3, "completionMode": "Indexed", "backoffLimitPerIndex": 1, "backoffLimit": None},
], ids=["parallel", "indexed-per-index"])
def test_the_attempt_rows_are_the_history_job_attempts_describes_pass_after_pass(cluster, engine, monkeypatch, spec):
    """The controller writes only the attempts that changed; after every pass the rows must be
    what `job_attempts` makes of the rows before it and the pods the pass saw."""
    add_nodes(cluster, "node-1", "node-2")
    record, checked = job_controller.record_attempts, []

    def checking(step, job, pods):
        before = [a.data for a in JobAttempt.objects.filter(job_uid=job["metadata"]["uid"])]
        record(step, job, pods)
        after = [a.data for a in JobAttempt.objects.filter(job_uid=job["metadata"]["uid"])]
        assert after == job_attempts(job, [p.view() for p in pods], before)
        checked.append(len(after))

    monkeypatch.setattr(job_controller, "record_attempts", checking)
    store.create(cluster, job_manifest("flaky", command=["sh", "-c", "sleep 5; exit 1"],
                                       **{k: v for k, v in spec.items() if v is not None}))
    engine.advance(seconds(8))
    doomed = Pod.objects.filter(owner_kind="Job").order_by("name").first()
    chaos.kill_pod(cluster, "default", doomed.name)  # deleted: its attempt stays, gone
    engine.run_until_idle()
    rows = list(JobAttempt.objects.all())
    live = set(Pod.objects.filter(owner_kind="Job").values_list("name", flat=True))
    assert {r.pod for r in rows if not r.gone} == live and max(checked) == len(rows)
    assert doomed.name in {r.pod for r in rows if r.gone}
    assert any(r.data["backoffSeconds"] > 0 for r in rows)
    assert Job.objects.get().status["conditions"][-1]["type"] == "Failed"
    versions = [(r.pk, r.pod_resource_version, r.data) for r in rows]
    assert changes_of_one_pass(cluster, engine, reconcile_job, "default/flaky") == 0
    assert [(r.pk, r.pod_resource_version, r.data) for r in JobAttempt.objects.all()] == versions


CRON = {
    "apiVersion": "batch/v1",
    "kind": "CronJob",
    "metadata": {"name": "hello"},
    "spec": {
        "schedule": "*/5 * * * *",
        "jobTemplate": {"spec": {"template": {"spec": {
            "containers": [{"name": "hello", "image": "busybox:1.36", "command": ["sh", "-c", "echo hi"]}],
            "restartPolicy": "OnFailure"}}}},
    },
}


def test_a_cronjob_creates_jobs_on_schedule_and_keeps_three(cluster, engine):
    add_nodes(cluster, "node-1")
    store.create(cluster, copy.deepcopy(CRON))
    engine.advance(seconds(60 * 26))
    names = sorted(Job.objects.values_list("name", flat=True))
    # runs at 00:05, :10, :15, :20, :25; Job names are <cronjob>-<scheduled minutes since epoch>
    assert len(names) == 3
    epoch_minutes = int(parse_time("2026-01-01T00:25:00Z").timestamp() // 60)
    assert names[-1] == f"hello-{epoch_minutes}"
    cj = CronJob.objects.get()
    assert cj.status["lastScheduleTime"] == "2026-01-01T00:25:00Z"
    assert changes_of_one_pass(cluster, engine, reconcile_cronjob, "default/hello") == 0
    from controllers.models import Decision

    verbs = {}
    for verb, message in Decision.objects.filter(controller__startswith="cronjob").values_list("verb", "message"):
        verbs.setdefault(message.split()[0], set()).add(verb)
    # each decision says what it did: a note is never shown as a deletion because the pass deleted
    assert verbs["creating"] == {"create"} and verbs["next"] == {"note"} and verbs["job"] == {"note"}
    assert any("deleting the oldest" in m for m in Decision.objects.filter(verb="delete").values_list("message", flat=True))


def test_a_job_deleted_and_recreated_releases_the_old_pods(cluster, engine):
    add_nodes(cluster, "node-1")
    store.create(cluster, job_manifest("pi", command=["sleep", "600"]))
    engine.advance(seconds(10))
    [old] = Pod.objects.filter(owner_kind="Job").values_list("name", flat=True)
    store.delete(cluster, "Job", "default", "pi")
    store.create(cluster, job_manifest("pi", command=["sleep", "600"]))
    engine.advance(seconds(60))
    assert not Pod.objects.filter(name=old).exists()


def test_a_finished_pod_frees_its_place_for_a_pending_one(cluster, engine):
    add_nodes(cluster, "node-1", pods=1)
    store.create(cluster, job_manifest("first", command=["sleep", "5"]))
    engine.advance(seconds(1))
    store.create(cluster, job_manifest("second", command=["sleep", "5"]))
    engine.run_until_idle()
    assert Job.objects.get(name="second").finished  # scheduled once the first pod finished
