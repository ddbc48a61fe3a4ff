"""Planner tests for the Job controller (after job_controller_test.go TestControllerSyncJob).

Every case also checks that a second plan over the settled state is empty.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest

from controllers.job_plan import (
    JOB_COMPLETION_INDEX,
    JOB_INDEX_FAILURE_COUNT,
    JOB_TRACKING_FINALIZER,
    JobPlan,
    active_pods_for_removal,
    backoff_delay,
    format_indexes,
    format_time,
    job_attempts,
    new_backoff_record,
    new_job_pod,
    parse_indexes_from_string,
    plan_job,
    slow_start_batches,
)

T0 = datetime(2026, 1, 1, 0, 0, 0, tzinfo=timezone.utc)
LONG_AGO = T0 - timedelta(hours=1)
WQ = None  # completions of a work-queue Job

# --------------------------------------------------------------------------- builders


def job(
    name: str = "hello",
    *,
    parallelism: int = 1,
    completions: int | None = 1,
    backoff_limit: int | None = 6,
    indexed: bool = False,
    suspend: bool = False,
    restart_policy: str = "Never",
    pod_replacement_policy: str | None = None,
    pod_failure_policy: dict | None = None,
    backoff_limit_per_index: int | None = None,
    max_failed_indexes: int | None = None,
    success_policy: dict | None = None,
    active_deadline_seconds: int | None = None,
    deleting: bool = False,
    status: dict | None = None,
) -> dict:
    """A defaulted Job, as the API server returns it."""
    uid = f"uid-{name}"
    labels = {
        "batch.kubernetes.io/controller-uid": uid,
        "batch.kubernetes.io/job-name": name,
        "controller-uid": uid,
        "job-name": name,
    }
    if pod_replacement_policy is None:
        pod_replacement_policy = "Failed" if pod_failure_policy else "TerminatingOrFailed"
    if backoff_limit_per_index is not None and backoff_limit == 6:
        backoff_limit = 2**31 - 1
    spec = {
        "parallelism": parallelism,
        "completions": completions,
        "backoffLimit": backoff_limit,
        "completionMode": "Indexed" if indexed else "NonIndexed",
        "suspend": suspend,
        "podReplacementPolicy": pod_replacement_policy,
        "manualSelector": False,
        "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}},
        "template": {
            "metadata": {"labels": labels},
            "spec": {"restartPolicy": restart_policy, "containers": [{"name": "main", "image": "busybox"}]},
        },
    }
    optional = {
        "podFailurePolicy": pod_failure_policy,
        "backoffLimitPerIndex": backoff_limit_per_index,
        "maxFailedIndexes": max_failed_indexes,
        "successPolicy": success_policy,
        "activeDeadlineSeconds": active_deadline_seconds,
    }
    spec.update({k: v for k, v in optional.items() if v is not None})
    metadata = {
        "name": name,
        "namespace": "default",
        "uid": uid,
        "labels": labels,
        "creationTimestamp": "2025-12-31T23:00:00Z",
    }
    if deleting:
        metadata["deletionTimestamp"] = format_time(T0)
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": metadata, "spec": spec, "status": status or {}}


def pod(
    name: str,
    phase: str = "Running",
    *,
    index: int | str | None = None,
    ready: bool = False,
    node: str | None = "node-0",
    exit_code: int | None = None,
    finished_at: datetime = LONG_AGO,
    created: datetime = LONG_AGO - timedelta(minutes=1),
    deleted: bool = False,
    finalizer: bool = True,
    restarts: int = 0,
    conditions: list[dict] | None = None,
    annotations: dict | None = None,
    job_name: str = "hello",
) -> dict:
    """A Job pod; Succeeded/Failed pods get a terminated container at ``finished_at``."""
    metadata: dict = {
        "name": name,
        "namespace": "default",
        "uid": f"uid-{name}",
        "creationTimestamp": format_time(created),
        "labels": {"job-name": job_name},
        "annotations": dict(annotations or {}),
        "finalizers": [JOB_TRACKING_FINALIZER] if finalizer else [],
        "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": job_name, "controller": True}],
    }
    if index is not None:
        metadata["annotations"][JOB_COMPLETION_INDEX] = str(index)
    if deleted:
        metadata["deletionTimestamp"] = format_time(T0)
        metadata["deletionGracePeriodSeconds"] = 30
    if phase in ("Succeeded", "Failed"):
        code = exit_code if exit_code is not None else (0 if phase == "Succeeded" else 1)
        state = {
            "terminated": {
                "exitCode": code,
                "reason": "Completed" if code == 0 else "Error",
                "finishedAt": format_time(finished_at),
            }
        }
    elif phase == "Running":
        state = {"running": {"startedAt": format_time(created)}}
    else:
        state = {"waiting": {"reason": "ContainerCreating"}}
    pod_conditions = list(conditions or [])
    if ready:
        pod_conditions.append({"type": "Ready", "status": "True", "lastTransitionTime": format_time(created)})
    status = {
        "phase": phase,
        "conditions": pod_conditions,
        "containerStatuses": [{"name": "main", "ready": ready, "restartCount": restarts, "state": state}],
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": {"nodeName": node, "containers": [{"name": "main"}]},
        "status": status,
    }


def pods(prefix: str, count: int, phase: str = "Running", **kwargs) -> list[dict]:
    return [pod(f"{prefix}-{i}", phase, **kwargs) for i in range(count)]


def indexed_pods(*specs: tuple[str | int, str]) -> list[dict]:
    """indexed_pods((0, "Succeeded"), ("invalid", "Running"), ...) -> pods named by position."""
    return [pod(f"hello-{n}", phase, index=ix) for n, (ix, phase) in enumerate(specs)]


def condition(ctype: str, status: str = "True", reason: str = "", message: str = "") -> dict:
    stamp = format_time(LONG_AGO)
    return {
        "type": ctype,
        "status": status,
        "reason": reason,
        "message": message,
        "lastProbeTime": stamp,
        "lastTransitionTime": stamp,
    }


def started(**status) -> dict:
    return {"startTime": format_time(LONG_AGO), **status}


def conditions_of(plan: JobPlan) -> list[tuple[str, str, str]]:
    return [(c["type"], c["status"], c["reason"]) for c in plan.status.get("conditions", [])]


# --------------------------------------------------------------------------- a tiny cluster


class Sim:
    """Stands in for the store and the kubelet: applies plans, moves pods along."""

    def __init__(self, job_obj: dict, initial_pods: list[dict] = (), *, now: datetime = T0, record: dict | None = None):
        self.job = copy.deepcopy(job_obj)
        self.pods = {p["metadata"]["name"]: copy.deepcopy(p) for p in initial_pods}
        self.now = now
        self.record = record
        self.serial = 0
        self.created_at: list[datetime] = []

    def plan(self) -> JobPlan:
        return plan_job(self.job, list(self.pods.values()), now=self.now, backoff_record=self.record)

    def sync(self) -> JobPlan:
        plan = self.plan()
        self.apply(plan)
        return plan

    def apply(self, plan: JobPlan) -> None:
        self.job["status"] = copy.deepcopy(plan.status)
        self.record = plan.backoff_record
        for name in plan.remove_finalizers:
            finalizers = self.pods[name]["metadata"]["finalizers"]
            self.pods[name]["metadata"]["finalizers"] = [f for f in finalizers if f != JOB_TRACKING_FINALIZER]
        for deletion in plan.delete:
            meta = self.pods[deletion.name]["metadata"]
            meta["deletionTimestamp"] = format_time(self.now)
            meta["deletionGracePeriodSeconds"] = 30
        for creation in plan.create:
            self.serial += 1
            new = copy.deepcopy(creation.pod)
            meta = new["metadata"]
            meta["name"] = f"{meta['generateName']}{self.serial:05d}"
            meta["uid"] = f"uid-{meta['name']}"
            meta["creationTimestamp"] = format_time(self.now)
            self.pods[meta["name"]] = new
            self.created_at.append(self.now)

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def run(self, name: str, *, ready: bool = True) -> None:
        p = self.pods[name]
        p["spec"]["nodeName"] = "node-0"
        p["status"] = {
            "phase": "Running",
            "startTime": format_time(self.now),
            "conditions": [{"type": "Ready", "status": str(ready), "lastTransitionTime": format_time(self.now)}],
            "containerStatuses": [
                {
                    "name": "main",
                    "ready": ready,
                    "restartCount": 0,
                    "state": {"running": {"startedAt": format_time(self.now)}},
                }
            ],
        }

    def finish(self, name: str, exit_code: int = 0) -> None:
        p = self.pods[name]
        p["status"] = {
            "phase": "Succeeded" if exit_code == 0 else "Failed",
            "startTime": p["status"].get("startTime"),
            "conditions": [{"type": "Ready", "status": "False", "lastTransitionTime": format_time(self.now)}],
            "containerStatuses": [
                {
                    "name": "main",
                    "ready": False,
                    "restartCount": 0,
                    "state": {
                        "terminated": {
                            "exitCode": exit_code,
                            "reason": "Completed" if exit_code == 0 else "Error",
                            "finishedAt": format_time(self.now),
                        }
                    },
                }
            ],
        }

    def restart_container(self, name: str) -> None:
        self.pods[name]["status"]["containerStatuses"][0]["restartCount"] += 1

    def delete_pod(self, name: str) -> None:
        self.pods[name]["metadata"]["deletionTimestamp"] = format_time(self.now)
        self.pods[name]["metadata"]["deletionGracePeriodSeconds"] = 30

    def kill_terminating(self) -> None:
        """The kubelet ends deleted pods: phase Failed, then gone once no finalizer holds them."""
        for name, p in list(self.pods.items()):
            if p["metadata"].get("deletionTimestamp") and p["status"].get("phase") not in ("Succeeded", "Failed"):
                self.finish(name, exit_code=137)
            if p["metadata"].get("deletionTimestamp") and not p["metadata"]["finalizers"]:
                del self.pods[name]

    def live(self, phase: str | None = None) -> list[str]:
        return sorted(
            n
            for n, p in self.pods.items()
            if not p["metadata"].get("deletionTimestamp") and (phase is None or p["status"]["phase"] == phase)
        )

    def newest(self) -> str:
        return max(self.pods, key=lambda n: (self.pods[n]["metadata"]["creationTimestamp"], n))


def settle(sim: Sim, plan: JobPlan) -> JobPlan:
    """Apply further passes while they still act (e.g. the 500-pod cap); return the last acting plan."""
    for _ in range(10):
        again = sim.plan()
        if not (again.create or again.delete or again.remove_finalizers):
            return plan
        sim.apply(again)
        plan = again
    raise AssertionError("the job did not settle")


def assert_second_run_changes_nothing(sim: Sim, first: JobPlan) -> None:
    """Level-triggered: re-planning the settled state asks for nothing more."""
    again = sim.plan()
    assert again.create == ()
    assert again.delete == ()
    assert again.remove_finalizers == ()
    assert again.events == ()
    assert again.status == first.status


# --------------------------------------------------------------------------- the sync table


@dataclass
class SyncCase:
    id: str
    job: dict
    pods: list[dict] = field(default_factory=list)
    record: dict | None = None
    # expectations
    creations: int = 0
    deletions: int = 0
    active: int = 0
    ready: int = 0
    succeeded: int = 0
    failed: int = 0
    terminating: int = 0
    conditions: list[tuple[str, str, str]] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    created_indexes: set[int] | None = None
    completed_indexes: str | None = None
    failed_indexes: str | None = None
    deleted_counted_as_failed: bool | None = None
    requeue_after: float | None = None
    message: str | None = None


FAIL_JOB_ON_42 = {
    "rules": [{"action": "FailJob", "onExitCodes": {"containerName": "main", "operator": "In", "values": [42]}}]
}
IGNORE_DISRUPTION = {
    "rules": [{"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]}]
}
DISRUPTED = [{"type": "DisruptionTarget", "status": "True", "reason": "PreemptionByScheduler"}]

SYNC_CASES = [
    SyncCase("job start", job(parallelism=2, completions=5), creations=2, active=2),
    SyncCase("WQ job start", job(parallelism=2, completions=WQ), creations=2, active=2),
    SyncCase("pending pods", job(parallelism=2, completions=5), pods("p", 2, "Pending", node=None), active=2),
    SyncCase(
        "correct # of pods",
        job(parallelism=3, completions=5),
        pods("r", 2, ready=True) + pods("n", 1),
        active=3,
        ready=2,
    ),
    SyncCase("WQ job: correct # of pods", job(parallelism=2, completions=WQ), pods("p", 2), active=2),
    SyncCase(
        "too few active pods",
        job(parallelism=2, completions=5),
        pods("a", 1) + pods("s", 1, "Succeeded"),
        creations=1,
        active=2,
        succeeded=1,
    ),
    SyncCase(
        "WQ job: recreate pods when failed",
        job(completions=WQ, pod_replacement_policy="Failed"),
        pods("a", 1) + pods("f", 1, "Failed") + pods("t", 1, deleted=True),
        active=1,
        failed=1,
        terminating=1,
    ),
    SyncCase(
        "WQ job: turn on PodReplacementPolicy but not set PodReplacementPolicy",
        job(completions=1),
        pods("a", 1) + pods("f", 1, "Failed") + pods("t", 1, deleted=True),
        active=1,
        failed=2,
        terminating=1,
    ),
    SyncCase(
        "more terminating pods than parallelism",
        job(completions=1, pod_replacement_policy="Failed"),
        pods("a", 2) + pods("t", 4, deleted=True),
        deletions=1,
        active=1,
        terminating=5,
    ),
    SyncCase(
        "too few active pods and active back-off",
        job(status=started()),
        record={"failuresAfterLastSuccess": 1, "lastFailureTime": format_time(T0)},
        requeue_after=10.0,
    ),
    SyncCase(
        "too few active pods and no back-offs",
        job(),
        record={"failuresAfterLastSuccess": 0, "lastFailureTime": format_time(T0)},
        creations=1,
        active=1,
    ),
    SyncCase(
        "too few active pods with a dynamic job",
        job(parallelism=2, completions=WQ),
        pods("a", 1),
        creations=1,
        active=2,
    ),
    SyncCase(
        "too many active pods",
        job(parallelism=2, completions=5),
        pods("a", 3),
        deletions=1,
        active=2,
        terminating=1,
        deleted_counted_as_failed=False,
    ),
    SyncCase(
        "count ready pods when too many active pods",
        job(parallelism=2, completions=5),
        pods("a", 3, ready=True),
        deletions=1,
        active=2,
        ready=2,
        terminating=1,
    ),
    SyncCase(
        "failed + succeed pods: reset backoff delay",
        job(parallelism=2, completions=5),
        pods("a", 1)
        + pods("s", 1, "Succeeded", finished_at=T0)
        + pods("f", 1, "Failed", finished_at=T0 - timedelta(seconds=1)),
        creations=1,
        active=2,
        succeeded=1,
        failed=1,
    ),
    SyncCase(
        "new failed pod",
        job(parallelism=2, completions=5),
        pods("a", 1) + pods("f", 1, "Failed"),
        creations=1,
        active=2,
        failed=1,
    ),
    SyncCase(
        "no new pod; possible finalizer update of failed pod",
        job(status=started(active=1, failed=1)),
        pods("a", 1),
        active=1,
        failed=1,
    ),
    SyncCase(
        "job finish",
        job(parallelism=2, completions=5),
        pods("s", 5, "Succeeded"),
        succeeded=5,
        conditions=[
            ("SuccessCriteriaMet", "True", "CompletionsReached"),
            ("Complete", "True", "CompletionsReached"),
        ],
        events=["Completed"],
    ),
    SyncCase(
        "WQ job finishing",
        job(parallelism=2, completions=WQ),
        pods("a", 1) + pods("s", 1, "Succeeded"),
        active=1,
        succeeded=1,
    ),
    SyncCase(
        "WQ job all finished",
        job(parallelism=2, completions=WQ),
        pods("s", 2, "Succeeded"),
        succeeded=2,
        conditions=[
            ("SuccessCriteriaMet", "True", "CompletionsReached"),
            ("Complete", "True", "CompletionsReached"),
        ],
        events=["Completed"],
    ),
    SyncCase(
        "WQ job all finished despite one failure",
        job(parallelism=2, completions=WQ),
        pods("s", 1, "Succeeded") + pods("f", 1, "Failed"),
        succeeded=1,
        failed=1,
        conditions=[
            ("SuccessCriteriaMet", "True", "CompletionsReached"),
            ("Complete", "True", "CompletionsReached"),
        ],
        events=["Completed"],
    ),
    SyncCase(
        "more active pods than parallelism",
        job(parallelism=2, completions=5),
        pods("a", 10),
        deletions=8,
        active=2,
        terminating=8,
    ),
    SyncCase(
        "more active pods than remaining completions",
        job(parallelism=3, completions=4),
        pods("a", 3) + pods("s", 2, "Succeeded"),
        deletions=1,
        active=2,
        succeeded=2,
        terminating=1,
    ),
    SyncCase(
        "status change",
        job(parallelism=2, completions=5),
        pods("a", 2) + pods("s", 2, "Succeeded"),
        active=2,
        succeeded=2,
    ),
    SyncCase(
        "deleting job",
        job(parallelism=2, completions=5, deleting=True),
        pods("p", 1, "Pending") + pods("a", 1) + pods("s", 1, "Succeeded"),
        active=2,
        succeeded=1,
    ),
    SyncCase(
        "creations capped at 500 per pass",
        job(parallelism=1000, completions=1000),
        creations=500,
        active=500,
    ),
    SyncCase(
        "too many job failures",
        job(parallelism=2, completions=5, backoff_limit=0),
        pods("f", 1, "Failed"),
        failed=1,
        conditions=[
            ("FailureTarget", "True", "BackoffLimitExceeded"),
            ("Failed", "True", "BackoffLimitExceeded"),
        ],
        events=["BackoffLimitExceeded"],
        message="Job has reached the specified backoff limit",
    ),
    SyncCase(
        "indexed job start",
        job(parallelism=2, completions=5, indexed=True),
        creations=2,
        active=2,
        created_indexes={0, 1},
    ),
    SyncCase(
        "indexed job with some pods deleted, podReplacementPolicy Failed",
        job(parallelism=2, completions=5, indexed=True, pod_replacement_policy="Failed"),
        [pod("t", index=1, deleted=True)],
        creations=1,
        active=1,
        terminating=1,
        created_indexes={0},
    ),
    SyncCase(
        "indexed job with some pods deleted, podReplacementPolicy TerminatingOrFailed",
        job(parallelism=2, completions=5, indexed=True),
        [pod("t", index=1, deleted=True)],
        creations=2,
        active=2,
        failed=1,
        terminating=1,
        created_indexes={0, 1},
    ),
    SyncCase(
        "indexed job completed",
        job(parallelism=2, completions=3, indexed=True),
        indexed_pods((0, "Succeeded"), (1, "Failed"), (1, "Succeeded"), (2, "Succeeded")),
        succeeded=3,
        failed=1,
        completed_indexes="0-2",
        conditions=[
            ("SuccessCriteriaMet", "True", "CompletionsReached"),
            ("Complete", "True", "CompletionsReached"),
        ],
        events=["Completed"],
    ),
    SyncCase(
        "indexed job failed",
        job(parallelism=2, completions=3, backoff_limit=0, indexed=True),
        indexed_pods((0, "Succeeded"), (1, "Failed"), (2, "Running")),
        deletions=1,
        succeeded=1,
        failed=2,
        terminating=1,
        completed_indexes="0",
        conditions=[("FailureTarget", "True", "BackoffLimitExceeded")],
        deleted_counted_as_failed=True,
    ),
    SyncCase(
        "count ready pods when job fails",
        job(parallelism=2, completions=3, backoff_limit=0),
        pods("a", 2, ready=True) + pods("f", 1, "Failed"),
        deletions=2,
        failed=3,
        terminating=2,
        conditions=[("FailureTarget", "True", "BackoffLimitExceeded")],
        deleted_counted_as_failed=True,
    ),
    SyncCase(
        "indexed job repeated completed index",
        job(parallelism=2, completions=3, indexed=True),
        indexed_pods((0, "Succeeded"), (1, "Succeeded"), (1, "Succeeded")),
        creations=1,
        active=1,
        succeeded=2,
        completed_indexes="0,1",
        created_indexes={2},
    ),
    SyncCase(
        "indexed job some running and completed pods",
        job(parallelism=8, completions=20, indexed=True),
        indexed_pods(
            (0, "Running"),
            (2, "Succeeded"),
            (3, "Pending"),
            (4, "Succeeded"),
            (5, "Succeeded"),
            (7, "Succeeded"),
            (8, "Succeeded"),
            (9, "Succeeded"),
        ),
        creations=6,
        active=8,
        succeeded=6,
        completed_indexes="2,4,5,7-9",
        created_indexes={1, 6, 10, 11, 12, 13},
    ),
    SyncCase(
        "indexed job some failed pods",
        job(parallelism=3, completions=4, indexed=True),
        indexed_pods((0, "Failed"), (1, "Pending"), (2, "Failed")),
        creations=2,
        active=3,
        failed=2,
        created_indexes={0, 2},
    ),
    SyncCase(
        "indexed job some pods without index",
        job(parallelism=2, completions=5, indexed=True),
        pods("noindex-a", 1)
        + pods("noindex-s", 1, "Succeeded")
        + pods("noindex-f", 1, "Failed")
        + indexed_pods(
            ("invalid", "Running"),
            ("invalid", "Succeeded"),
            ("invalid", "Failed"),
            ("invalid", "Pending"),
            (0, "Succeeded"),
            (1, "Running"),
            (2, "Running"),
        ),
        deletions=3,
        active=2,
        succeeded=1,
        terminating=3,
        completed_indexes="0",
    ),
    SyncCase(
        "indexed job repeated indexes",
        job(parallelism=5, completions=5, indexed=True),
        pods("noindex-s", 1, "Succeeded")
        + pods("noindex-f", 1, "Failed")
        + indexed_pods(("invalid", "Running"), (0, "Succeeded"), (1, "Running"), (2, "Running"), (2, "Pending")),
        deletions=2,
        active=2,
        succeeded=1,
        terminating=2,
        completed_indexes="0",
    ),
    SyncCase(
        "indexed job with indexes outside of range",
        job(parallelism=2, completions=5, indexed=True),
        indexed_pods((0, "Succeeded"), (5, "Running"), (6, "Succeeded"), (7, "Pending"), (8, "Failed")),
        deletions=2,
        succeeded=1,
        terminating=2,
        completed_indexes="0",
    ),
    SyncCase(
        "suspending a job with satisfied expectations",
        job(parallelism=2, completions=4, suspend=True, status=started(active=2)),
        pods("a", 2),
        deletions=2,
        terminating=2,
        conditions=[("Suspended", "True", "JobSuspended")],
        events=["Suspended"],
        deleted_counted_as_failed=False,
    ),
    SyncCase(
        "count ready pods when suspending a job with satisfied expectations",
        job(parallelism=2, completions=4, suspend=True, status=started(active=2)),
        pods("a", 2, ready=True),
        deletions=2,
        terminating=2,
        conditions=[("Suspended", "True", "JobSuspended")],
        events=["Suspended"],
    ),
    SyncCase(
        "resuming a suspended job",
        job(
            parallelism=2,
            completions=4,
            status={"conditions": [condition("Suspended", "True", "JobSuspended", "Job suspended")]},
        ),
        creations=2,
        active=2,
        conditions=[("Suspended", "False", "JobResumed")],
        events=["Resumed"],
    ),
    SyncCase(
        "suspending a deleted job",
        job(parallelism=2, completions=4, suspend=True, deleting=True, status=started(active=2)),
        pods("a", 2),
        active=2,
    ),
    SyncCase(
        "job created suspended",
        job(parallelism=2, completions=4, suspend=True),
        conditions=[("Suspended", "True", "JobSuspended")],
        events=["Suspended"],
    ),
    SyncCase(
        "FailureTarget=False condition added manually is ignored",
        job(
            status=started(
                active=1, conditions=[condition("FailureTarget", "False", "ConditionAddedManually", "Testing")]
            )
        ),
        pods("a", 1, ready=True),
        active=1,
        ready=1,
        conditions=[("FailureTarget", "False", "ConditionAddedManually")],
    ),
    SyncCase(
        "SuccessCriteriaMet=False condition added manually is ignored",
        job(
            status=started(
                active=1, conditions=[condition("SuccessCriteriaMet", "False", "ConditionAddedManually", "Testing")]
            )
        ),
        pods("a", 1, ready=True),
        active=1,
        ready=1,
        conditions=[("SuccessCriteriaMet", "False", "ConditionAddedManually")],
    ),
    SyncCase(
        "past activeDeadlineSeconds kills active pods",
        job(parallelism=2, completions=4, active_deadline_seconds=60, status=started(active=2)),
        pods("a", 2, ready=True),
        deletions=2,
        failed=2,
        terminating=2,
        conditions=[("FailureTarget", "True", "DeadlineExceeded")],
        deleted_counted_as_failed=True,
        message="Job was active longer than specified deadline",
    ),
    SyncCase(
        "activeDeadlineSeconds not reached: requeue at the deadline",
        job(active_deadline_seconds=60, status={"startTime": format_time(T0 - timedelta(seconds=20)), "active": 1}),
        pods("a", 1),
        active=1,
        requeue_after=40.0,
    ),
    SyncCase(
        "OnFailure restarts below backoffLimit",
        job(backoff_limit=3, restart_policy="OnFailure", status=started(active=1)),
        pods("a", 1, restarts=2),
        active=1,
    ),
    SyncCase(
        "OnFailure restarts reach backoffLimit",
        job(backoff_limit=3, restart_policy="OnFailure", status=started(active=1)),
        pods("a", 1, restarts=3),
        deletions=1,
        failed=1,
        terminating=1,
        conditions=[("FailureTarget", "True", "BackoffLimitExceeded")],
        deleted_counted_as_failed=True,
    ),
    SyncCase(
        "OnFailure with backoffLimit 0 fails on the first restart",
        job(backoff_limit=0, restart_policy="OnFailure", status=started(active=1)),
        pods("a", 1, restarts=1),
        deletions=1,
        failed=1,
        terminating=1,
        conditions=[("FailureTarget", "True", "BackoffLimitExceeded")],
    ),
    SyncCase(
        "podFailurePolicy FailJob on exit code",
        job(parallelism=2, completions=2, pod_failure_policy=FAIL_JOB_ON_42, status=started(active=2)),
        [pod("hello-a", "Failed", exit_code=42), pod("hello-b")],
        deletions=1,
        failed=2,
        terminating=1,
        conditions=[("FailureTarget", "True", "PodFailurePolicy")],
        message="Container main for pod default/hello-a failed with exit code 42 matching FailJob rule at index 0",
    ),
    SyncCase(
        "podFailurePolicy FailJob not matched by another exit code",
        job(pod_failure_policy=FAIL_JOB_ON_42, status=started()),
        [pod("hello-a", "Failed", exit_code=1)],
        creations=1,
        active=1,
        failed=1,
    ),
    SyncCase(
        "podFailurePolicy FailJob on pod condition",
        job(
            pod_failure_policy={
                "rules": [{"action": "FailJob", "onPodConditions": [{"type": "DisruptionTarget"}]}]
            },
            status=started(),
        ),
        [pod("hello-a", "Failed", conditions=DISRUPTED)],
        failed=1,
        conditions=[("FailureTarget", "True", "PodFailurePolicy"), ("Failed", "True", "PodFailurePolicy")],
        events=["PodFailurePolicy"],
        message="Pod default/hello-a has condition DisruptionTarget matching FailJob rule at index 0",
    ),
    SyncCase(
        "podFailurePolicy Ignore does not count the failure",
        job(backoff_limit=0, pod_failure_policy=IGNORE_DISRUPTION, status=started()),
        [pod("hello-a", "Failed", conditions=DISRUPTED)],
        creations=1,
        active=1,
        failed=0,
    ),
    SyncCase(
        "podFailurePolicy Count counts the failure",
        job(
            backoff_limit=0,
            pod_failure_policy={"rules": [{"action": "Count", "onExitCodes": {"operator": "NotIn", "values": [0]}}]},
            status=started(),
        ),
        [pod("hello-a", "Failed", exit_code=3)],
        failed=1,
        conditions=[("FailureTarget", "True", "BackoffLimitExceeded"), ("Failed", "True", "BackoffLimitExceeded")],
        events=["BackoffLimitExceeded"],
    ),
    SyncCase(
        "podReplacementPolicy Failed waits for a deleted pod to fail",
        job(pod_replacement_policy="Failed", status=started(active=1)),
        [pod("hello-a", deleted=True)],
        terminating=1,
    ),
    SyncCase(
        "user deleted a running pod: replaced at once and counted failed",
        job(status=started(active=1)),
        [pod("hello-a", deleted=True)],
        creations=1,
        active=1,
        failed=1,
        terminating=1,
    ),
    SyncCase(
        "successPolicy succeededCount met: others terminated",
        job(
            parallelism=5,
            completions=5,
            indexed=True,
            success_policy={"rules": [{"succeededCount": 1}]},
            status=started(active=5),
        ),
        indexed_pods((0, "Succeeded"), (1, "Running"), (2, "Running"), (3, "Running"), (4, "Running")),
        deletions=4,
        succeeded=1,
        terminating=4,
        completed_indexes="0",
        conditions=[("SuccessCriteriaMet", "True", "SuccessPolicy")],
        deleted_counted_as_failed=False,
        message="Matched rules at index 0",
    ),
    SyncCase(
        "successPolicy succeededIndexes met",
        job(
            parallelism=3,
            completions=3,
            indexed=True,
            success_policy={"rules": [{"succeededIndexes": "2"}, {"succeededIndexes": "0-1"}]},
            status=started(active=3),
        ),
        indexed_pods((0, "Succeeded"), (1, "Succeeded"), (2, "Running")),
        deletions=1,
        succeeded=2,
        terminating=1,
        completed_indexes="0,1",
        conditions=[("SuccessCriteriaMet", "True", "SuccessPolicy")],
        message="Matched rules at index 1",
    ),
    SyncCase(
        "successPolicy not met yet",
        job(
            parallelism=3,
            completions=3,
            indexed=True,
            success_policy={"rules": [{"succeededIndexes": "0-2", "succeededCount": 2}]},
            status=started(active=3),
        ),
        indexed_pods((0, "Succeeded"), (1, "Running"), (2, "Running")),
        active=2,
        succeeded=1,
        completed_indexes="0",
    ),
    SyncCase(
        "backoffLimitPerIndex: first failure of an index is retried",
        job(parallelism=2, completions=3, indexed=True, backoff_limit_per_index=1, status=started(active=2)),
        [pod("hello-0", "Failed", index=0, annotations={JOB_INDEX_FAILURE_COUNT: "0"}), pod("hello-1", index=1)],
        creations=1,
        active=2,
        failed=1,
        created_indexes={0},
        failed_indexes="",
    ),
    SyncCase(
        "backoffLimitPerIndex: index failed after its limit",
        job(parallelism=2, completions=3, indexed=True, backoff_limit_per_index=1, status=started(active=2)),
        [pod("hello-0", "Failed", index=0, annotations={JOB_INDEX_FAILURE_COUNT: "1"}), pod("hello-1", index=1)],
        creations=1,
        active=2,
        failed=1,
        created_indexes={2},
        failed_indexes="0",
    ),
    SyncCase(
        "backoffLimitPerIndex: maxFailedIndexes exceeded",
        job(
            parallelism=2,
            completions=3,
            indexed=True,
            backoff_limit_per_index=0,
            max_failed_indexes=0,
            status=started(active=2),
        ),
        [pod("hello-0", "Failed", index=0, annotations={JOB_INDEX_FAILURE_COUNT: "0"}), pod("hello-1", index=1)],
        deletions=1,
        failed=2,
        terminating=1,
        failed_indexes="0",
        conditions=[("FailureTarget", "True", "MaxFailedIndexesExceeded")],
    ),
    SyncCase(
        "backoffLimitPerIndex: all indexes done with one failed",
        job(parallelism=2, completions=2, indexed=True, backoff_limit_per_index=0, status=started(active=1)),
        [
            pod("hello-0", "Failed", index=0, annotations={JOB_INDEX_FAILURE_COUNT: "0"}),
            pod("hello-1", "Succeeded", index=1),
        ],
        failed=1,
        succeeded=1,
        completed_indexes="1",
        failed_indexes="0",
        conditions=[("FailureTarget", "True", "FailedIndexes"), ("Failed", "True", "FailedIndexes")],
        events=["FailedIndexes"],
    ),
    SyncCase(
        "podFailurePolicy FailIndex fails only that index",
        job(
            parallelism=2,
            completions=3,
            indexed=True,
            backoff_limit_per_index=5,
            pod_failure_policy={"rules": [{"action": "FailIndex", "onExitCodes": {"operator": "In", "values": [7]}}]},
            status=started(active=2),
        ),
        [
            pod("hello-0", "Failed", index=0, exit_code=7, annotations={JOB_INDEX_FAILURE_COUNT: "0"}),
            pod("hello-1", index=1),
        ],
        creations=1,
        active=2,
        failed=1,
        created_indexes={2},
        failed_indexes="0",
    ),
    SyncCase(
        "too many succeeded pods",
        job(parallelism=2, completions=1),
        pods("s", 2, "Succeeded"),
        succeeded=2,
        conditions=[
            ("SuccessCriteriaMet", "True", "CompletionsReached"),
            ("Complete", "True", "CompletionsReached"),
        ],
        events=["TooManySucceededPods", "Completed"],
    ),
]


@pytest.mark.parametrize("case", SYNC_CASES, ids=[c.id for c in SYNC_CASES])
def test_sync_job(case: SyncCase) -> None:
    sim = Sim(case.job, case.pods, record=case.record)
    plan = sim.plan()

    assert len(plan.create) == case.creations
    assert len(plan.delete) == case.deletions
    assert plan.status["active"] == case.active
    assert plan.status["ready"] == case.ready
    assert plan.status["succeeded"] == case.succeeded
    assert plan.status["failed"] == case.failed
    assert plan.status["terminating"] == case.terminating
    assert plan.status["uncountedTerminatedPods"] == {}
    assert conditions_of(plan) == case.conditions
    assert [reason for _, reason, _ in plan.events] == case.events
    if case.created_indexes is not None:
        assert {c.index for c in plan.create} == case.created_indexes
    if case.completed_indexes is not None:
        assert plan.status["completedIndexes"] == case.completed_indexes
    if case.failed_indexes is not None:
        assert plan.status["failedIndexes"] == case.failed_indexes
    if case.deleted_counted_as_failed is not None:
        assert {d.count_as_failed for d in plan.delete} == {case.deleted_counted_as_failed}
    if case.requeue_after is not None:
        assert plan.requeue_after == case.requeue_after
    if case.message is not None:
        assert case.message in {c["message"] for c in plan.status["conditions"]}
    assert set(d.name for d in plan.delete) <= set(plan.remove_finalizers)
    assert plan.decisions

    sim.apply(plan)
    assert_second_run_changes_nothing(sim, settle(sim, plan))


# --------------------------------------------------------------------------- single-pass details


def test_job_start_sets_start_time_and_slow_start_batches() -> None:
    plan = plan_job(job(parallelism=10, completions=10), [], now=T0)
    assert plan.status["startTime"] == "2026-01-01T00:00:00Z"
    assert plan.slow_start_batches == (1, 2, 4, 3)
    assert plan.decisions == ("job started: startTime set", "creating 10 pods: 0 active of 10 wanted")


def test_finished_job_plans_nothing() -> None:
    done = job(status=started(succeeded=1, conditions=[condition("Complete", "True", "CompletionsReached")]))
    plan = plan_job(done, [pod("hello-a", "Succeeded")], now=T0)
    assert (plan.create, plan.delete, plan.remove_finalizers, plan.events) == ((), (), (), ())
    assert plan.finished and plan.status == done["status"]


def test_completion_time_is_set_with_complete_only() -> None:
    plan = plan_job(job(), [pod("hello-a", "Succeeded")], now=T0)
    assert plan.finished
    assert plan.status["completionTime"] == "2026-01-01T00:00:00Z"
    complete = plan.status["conditions"][1]
    assert complete["message"] == "Reached expected number of succeeded pods"
    assert complete["lastTransitionTime"] == complete["lastProbeTime"] == "2026-01-01T00:00:00Z"
    failed = plan_job(job(backoff_limit=0), [pod("hello-a", "Failed")], now=T0)
    assert failed.finished and "completionTime" not in failed.status


def test_at_most_500_finished_pods_are_counted_per_pass() -> None:
    sim = Sim(job(parallelism=600, completions=600, status=started()), pods("s", 600, "Succeeded"))
    first = sim.sync()
    assert (len(first.remove_finalizers), first.status["succeeded"]) == (500, 500)
    assert not first.finished and first.requeue_after == 0.0
    second = sim.sync()
    assert second.status["succeeded"] == 600 and second.finished
    assert_second_run_changes_nothing(sim, second)


def test_deleting_job_releases_every_finalizer_without_counting_running_pods() -> None:
    plan = plan_job(
        job(parallelism=2, completions=5, deleting=True, status=started()),
        pods("p", 1, "Pending") + pods("a", 1) + pods("s", 1, "Succeeded"),
        now=T0,
    )
    assert sorted(plan.remove_finalizers) == ["a-0", "p-0", "s-0"]
    assert (plan.create, plan.delete) == ((), ())
    assert (plan.status["active"], plan.status["succeeded"], plan.status["failed"]) == (2, 1, 0)


def test_excess_pods_are_deleted_unscheduled_pending_not_ready_first() -> None:
    scheduled_ready = pod("ready", ready=True)
    scheduled_running = pod("running")
    pending = pod("pending", "Pending")
    unscheduled = pod("unscheduled", "Pending", node=None)
    restarted = pod("restarted", restarts=4)
    order = active_pods_for_removal(
        job(parallelism=5, completions=5), [scheduled_ready, scheduled_running, pending, unscheduled, restarted], 5
    )
    assert [p["metadata"]["name"] for p in order] == ["unscheduled", "pending", "restarted", "running", "ready"]


def test_newer_pods_are_deleted_before_older_ones() -> None:
    old = pod("old", created=T0 - timedelta(minutes=10))
    new = pod("new", created=T0 - timedelta(minutes=1))
    plan = plan_job(job(parallelism=1, completions=5, status=started(active=2)), [old, new], now=T0)
    assert [d.name for d in plan.delete] == ["new"]


def test_failure_decision_names_pod_exit_code_limit_and_next_pod() -> None:
    record = {"failuresAfterLastSuccess": 1, "lastFailureTime": format_time(T0 - timedelta(seconds=30))}
    plan = plan_job(
        job("hello-world", backoff_limit=4, status=started(failed=1)),
        [pod("hello-world-abc12", "Failed", finished_at=T0, job_name="hello-world")],
        now=T0,
        backoff_record=record,
    )
    assert plan.create == ()
    assert plan.requeue_after == 20.0
    assert "pod hello-world-abc12 failed (exit 1); failures 2 of backoffLimit 4; next pod in 20 s" in plan.decisions
    assert plan.backoff_record == {"failuresAfterLastSuccess": 2, "lastFailureTime": "2026-01-01T00:00:00Z"}


def test_completion_decision() -> None:
    plan = plan_job(job(), [pod("hello-a", "Succeeded")], now=T0)
    assert "1 of 1 completions succeeded: job complete" in plan.decisions


def test_indexed_pods_carry_index_hostname_and_env() -> None:
    created = plan_job(job(parallelism=2, completions=2, indexed=True), [], now=T0).create
    manifest = created[1].pod
    assert manifest["metadata"]["generateName"] == "hello-1-"
    assert manifest["metadata"]["labels"][JOB_COMPLETION_INDEX] == "1"
    assert manifest["metadata"]["annotations"][JOB_COMPLETION_INDEX] == "1"
    assert manifest["spec"]["hostname"] == "hello-1"
    env = manifest["spec"]["containers"][0]["env"]
    assert env == [
        {
            "name": "JOB_COMPLETION_INDEX",
            "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['batch.kubernetes.io/job-completion-index']"}},
        }
    ]


# --------------------------------------------------------------------------- new_job_pod


def test_new_job_pod_non_indexed() -> None:
    manifest = new_job_pod(job(), None)
    assert manifest["metadata"]["generateName"] == "hello-"
    assert manifest["metadata"]["labels"]["batch.kubernetes.io/job-name"] == "hello"
    assert manifest["metadata"]["finalizers"] == [JOB_TRACKING_FINALIZER]
    assert manifest["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "name": "hello",
            "uid": "uid-hello",
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    assert manifest["metadata"]["namespace"] == "default"
    assert manifest["spec"] == {"restartPolicy": "Never", "containers": [{"name": "main", "image": "busybox"}]}
    assert manifest["status"] == {"phase": "Pending"}
    assert "hostname" not in manifest["spec"]


def test_new_job_pod_does_not_share_the_template() -> None:
    source = job(indexed=True, completions=2)
    new_job_pod(source, 1)["spec"]["containers"][0]["image"] = "changed"
    assert source["spec"]["template"]["spec"]["containers"][0] == {"name": "main", "image": "busybox"}


def test_new_job_pod_with_backoff_limit_per_index_counts_failures() -> None:
    manifest = new_job_pod(job(indexed=True, completions=3, backoff_limit_per_index=2), 2, index_failure_count=1)
    assert manifest["metadata"]["annotations"][JOB_INDEX_FAILURE_COUNT] == "1"
    assert manifest["metadata"]["generateName"] == "hello-2-"


def test_long_job_names_are_cut_before_the_index() -> None:
    name = "x" * 60
    assert new_job_pod(job(name, indexed=True, completions=20), 12)["metadata"]["generateName"] == "x" * 54 + "-12-"


# --------------------------------------------------------------------------- back-off


@pytest.mark.parametrize(
    ("failures", "seconds"),
    [(0, 0), (1, 10), (2, 20), (3, 40), (4, 80), (5, 160), (6, 320), (7, 600), (8, 600), (30, 600)],
    ids=lambda v: str(v),
)
def test_backoff_delay(failures: int, seconds: int) -> None:
    assert backoff_delay(failures) == timedelta(seconds=seconds)


def test_backoff_record_resets_after_a_later_success() -> None:
    failed_early = pod("f1", "Failed", finished_at=T0 - timedelta(seconds=20))
    succeeded = pod("s", "Succeeded", finished_at=T0 - timedelta(seconds=10))
    failed_late = pod("f2", "Failed", finished_at=T0)
    record = new_backoff_record({"failuresAfterLastSuccess": 3}, [succeeded], [failed_early, failed_late])
    assert record == {"failuresAfterLastSuccess": 1, "lastFailureTime": "2026-01-01T00:00:00Z"}
    assert new_backoff_record(record, [succeeded], []) == {"failuresAfterLastSuccess": 0, "lastFailureTime": None}


def test_finish_time_falls_back_to_ready_false_then_deletion() -> None:
    not_ready = pod("nr", "Failed")
    not_ready["status"]["containerStatuses"] = []
    not_ready["status"]["conditions"] = [{"type": "Ready", "status": "False", "lastTransitionTime": format_time(T0)}]
    deleted = pod("d", deleted=True)
    deleted["status"]["containerStatuses"] = []
    record = new_backoff_record(None, [], [not_ready, deleted])
    # deleted at T0 with 30 s grace -> finished at T0 - 30 s; the Ready=False one is later
    assert record == {"failuresAfterLastSuccess": 2, "lastFailureTime": "2026-01-01T00:00:00Z"}


def test_backoff_growth_until_backoff_limit() -> None:
    """Scenario 59: replacements 10, 20, 40, 80, 160, 320 s after each failure; 7th failure fails the Job."""
    sim = Sim(job(backoff_limit=6))
    sim.sync()
    gaps = []
    while True:
        sim.advance(5)
        sim.finish(sim.newest(), exit_code=1)
        failed_at = sim.now
        plan = sim.sync()
        if plan.finished:
            break
        assert plan.create == () and plan.requeue_after is not None
        sim.advance(plan.requeue_after)
        plan = sim.sync()
        assert len(plan.create) == 1
        gaps.append((sim.now - failed_at).total_seconds())
    assert gaps == [10, 20, 40, 80, 160, 320]
    assert len(sim.pods) == 7
    assert conditions_of(plan) == [
        ("FailureTarget", "True", "BackoffLimitExceeded"),
        ("Failed", "True", "BackoffLimitExceeded"),
    ]
    assert plan.status["failed"] == 7
    assert plan.events == (("Warning", "BackoffLimitExceeded", "Job has reached the specified backoff limit"),)
    assert_second_run_changes_nothing(sim, plan)


def test_backoff_limit_one_creates_two_pods() -> None:
    """e2e 'should fail to exceed backoffLimit': B=1 -> 2 pods, both Failed."""
    sim = Sim(job(backoff_limit=1))
    sim.sync()
    for _ in range(2):
        sim.advance(1)
        sim.finish(sim.newest(), exit_code=1)
        plan = sim.sync()
        if plan.requeue_after:
            sim.advance(plan.requeue_after)
            plan = sim.sync()
    assert plan.finished
    assert sorted(p["status"]["phase"] for p in sim.pods.values()) == ["Failed", "Failed"]


def test_failures_survive_pod_deletion_through_the_backoff_record() -> None:
    sim = Sim(job(backoff_limit=6))
    sim.sync()
    sim.advance(1)
    sim.finish(sim.newest(), exit_code=1)
    sim.sync()
    assert sim.record["failuresAfterLastSuccess"] == 1
    sim.pods.clear()  # PodGC / a user removes the failed pod: the record still holds the failure
    sim.advance(5)
    plan = sim.sync()
    assert plan.create == () and plan.requeue_after == 5.0
    assert plan.status["failed"] == 1


# --------------------------------------------------------------------------- multi-pass scenarios


def test_count_ready_pods_when_job_fails_then_failed_once_pods_are_gone() -> None:
    """Scenario 65."""
    sim = Sim(job(parallelism=2, completions=3, backoff_limit=0), pods("a", 2, ready=True) + pods("f", 1, "Failed"))
    first = sim.sync()
    assert (first.status["failed"], first.status["active"], first.status["ready"]) == (3, 0, 0)
    assert not first.finished and first.events == ()
    sim.kill_terminating()
    second = sim.sync()
    assert second.finished
    assert conditions_of(second) == [
        ("FailureTarget", "True", "BackoffLimitExceeded"),
        ("Failed", "True", "BackoffLimitExceeded"),
    ]
    assert second.status["terminating"] == 0 and second.status["failed"] == 3
    assert second.events == (("Warning", "BackoffLimitExceeded", "Job has reached the specified backoff limit"),)
    assert_second_run_changes_nothing(sim, second)


def test_on_failure_restarts_until_backoff_limit() -> None:
    """Scenario 67: one pod, restarts climb, the 3rd restart fails the Job."""
    sim = Sim(job(backoff_limit=3, restart_policy="OnFailure"))
    sim.sync()
    name = sim.newest()
    sim.run(name)
    for expected_finished in (False, False, True):
        sim.advance(10)
        sim.restart_container(name)
        plan = sim.sync()
        assert plan.create == ()
        assert bool(plan.delete) == expected_finished
    assert plan.status["failed"] == 1
    sim.kill_terminating()
    plan = sim.sync()
    assert plan.finished and conditions_of(plan)[-1] == ("Failed", "True", "BackoffLimitExceeded")
    assert len(sim.created_at) == 1


def test_parallel_job_never_runs_more_than_remaining_completions() -> None:
    """Scenario 69: completions 6, parallelism 2, each pod succeeds after 5 s."""
    sim = Sim(job(parallelism=2, completions=6))
    plan = sim.sync()
    most_active = 0
    while not plan.finished:
        running = sim.live("Pending")
        most_active = max(most_active, len(running))
        assert len(running) <= 6 - plan.status["succeeded"]
        sim.advance(5)
        for name in running:
            sim.finish(name)
        plan = sim.sync()
    assert most_active == 2
    assert plan.status["succeeded"] == 6 and len(sim.pods) == 6
    assert_second_run_changes_nothing(sim, plan)


def test_user_deletes_running_pod_with_default_replacement_policy() -> None:
    """Scenario 71, TerminatingOrFailed: replaced at once, failed +1."""
    sim = Sim(job())
    sim.sync()
    victim = sim.newest()
    sim.run(victim)
    sim.delete_pod(victim)
    plan = sim.sync()
    assert len(plan.create) == 1
    assert (plan.status["active"], plan.status["failed"], plan.status["terminating"]) == (1, 1, 1)
    assert_second_run_changes_nothing(sim, plan)


def test_user_deletes_running_pod_with_replacement_policy_failed() -> None:
    """Scenario 71, podReplacementPolicy Failed: the replacement waits for phase Failed."""
    sim = Sim(job(pod_replacement_policy="Failed"))
    sim.sync()
    victim = sim.newest()
    sim.run(victim)
    sim.delete_pod(victim)
    plan = sim.sync()
    assert plan.create == ()
    assert (plan.status["active"], plan.status["failed"], plan.status["terminating"]) == (0, 0, 1)
    assert_second_run_changes_nothing(sim, plan)
    sim.advance(30)
    sim.finish(victim, exit_code=137)
    plan = sim.sync()
    assert victim in plan.remove_finalizers
    assert (plan.status["active"], plan.status["failed"], plan.status["terminating"]) == (0, 1, 0)
    assert plan.requeue_after == 10.0  # the failure now counts, so the usual back-off applies
    sim.advance(plan.requeue_after)
    plan = sim.sync()
    assert len(plan.create) == 1
    assert (plan.status["active"], plan.status["failed"], plan.status["terminating"]) == (1, 1, 0)
    assert_second_run_changes_nothing(sim, plan)


def test_suspend_then_resume() -> None:
    """Scenario 73: suspension deletes pods without counting them; resume resets startTime."""
    sim = Sim(job(parallelism=2, completions=4, active_deadline_seconds=600))
    sim.sync()
    for name in sim.live():
        sim.run(name)
    sim.advance(100)
    sim.job["spec"]["suspend"] = True
    plan = sim.sync()
    assert len(plan.delete) == 2 and plan.status["failed"] == 0
    assert conditions_of(plan) == [("Suspended", "True", "JobSuspended")]
    assert plan.requeue_after is None  # the deadline does not run while suspended
    assert "startTime" not in plan.status
    assert_second_run_changes_nothing(sim, plan)
    sim.kill_terminating()
    sim.advance(1000)
    sim.job["spec"]["suspend"] = False
    plan = sim.sync()
    assert len(plan.create) == 2
    assert conditions_of(plan) == [("Suspended", "False", "JobResumed")]
    assert plan.status["startTime"] == format_time(sim.now)
    assert plan.events == (("Normal", "Resumed", "Job resumed"),)
    assert plan.requeue_after == 600.0
    assert_second_run_changes_nothing(sim, plan)


def test_active_deadline_requeues_exactly_then_fails() -> None:
    sim = Sim(job(active_deadline_seconds=30))
    plan = sim.sync()
    assert plan.requeue_after == 30.0
    sim.run(sim.newest())
    sim.advance(plan.requeue_after)
    plan = sim.sync()
    assert [d.count_as_failed for d in plan.delete] == [True]
    assert conditions_of(plan) == [("FailureTarget", "True", "DeadlineExceeded")]
    sim.kill_terminating()
    plan = sim.sync()
    assert plan.finished
    assert plan.events == (("Warning", "DeadlineExceeded", "Job was active longer than specified deadline"),)
    assert plan.status["failed"] == 1


def test_backoff_limit_per_index_retries_one_index_then_fails() -> None:
    """Scenario 83: completions 4, backoffLimitPerIndex 1, index 2 always fails."""
    sim = Sim(job(parallelism=4, completions=4, indexed=True, backoff_limit_per_index=1))
    plan = sim.sync()
    assert {c.index for c in plan.create} == {0, 1, 2, 3}
    index_of = lambda name: int(sim.pods[name]["metadata"]["annotations"][JOB_COMPLETION_INDEX])  # noqa: E731
    for _ in range(10):
        sim.advance(5)
        for name in sim.live():
            if sim.pods[name]["status"]["phase"] == "Pending":
                sim.finish(name, exit_code=1 if index_of(name) == 2 else 0)
        plan = sim.sync()
        if plan.requeue_after:
            sim.advance(plan.requeue_after)
            plan = sim.sync()
        if plan.finished:
            break
    index_2 = sorted(n for n in sim.pods if index_of(n) == 2)
    assert len(index_2) == 2
    assert [sim.pods[n]["metadata"]["annotations"][JOB_INDEX_FAILURE_COUNT] for n in index_2] == ["0", "1"]
    assert plan.status["failedIndexes"] == "2"
    assert plan.status["completedIndexes"] == "0,1,3"
    assert plan.status["failed"] == 2
    assert conditions_of(plan) == [("FailureTarget", "True", "FailedIndexes"), ("Failed", "True", "FailedIndexes")]
    assert all(not p["metadata"]["finalizers"] for p in sim.pods.values())
    assert_second_run_changes_nothing(sim, plan)


def test_backoff_limit_per_index_keeps_failed_pod_uncounted_during_index_backoff() -> None:
    sim = Sim(
        job(parallelism=1, completions=2, indexed=True, backoff_limit_per_index=3, status=started(active=1)),
        [pod("hello-0", "Failed", index=0, finished_at=T0, annotations={JOB_INDEX_FAILURE_COUNT: "1"})],
    )
    plan = sim.sync()
    assert plan.create == () and plan.remove_finalizers == ()
    assert plan.requeue_after == 20.0  # 2nd failure of index 0 -> 20 s
    assert plan.status["failed"] == 0
    assert_second_run_changes_nothing(sim, plan)
    sim.advance(20)
    plan = sim.sync()
    assert [c.index for c in plan.create] == [0]
    assert plan.create[0].pod["metadata"]["annotations"][JOB_INDEX_FAILURE_COUNT] == "2"
    assert plan.remove_finalizers == ("hello-0",) and plan.status["failed"] == 1
    assert_second_run_changes_nothing(sim, plan)


def test_success_policy_terminates_the_rest_then_completes() -> None:
    """Scenario 85: Indexed completions 5, succeededCount 1."""
    sim = Sim(
        job(parallelism=5, completions=5, indexed=True, success_policy={"rules": [{"succeededCount": 1}]})
    )
    sim.sync()
    sim.advance(3)
    for name in sim.live():
        sim.run(name)
    first = sorted(sim.live())[0]
    sim.finish(first)
    plan = sim.sync()
    assert len(plan.delete) == 4 and not plan.finished
    assert conditions_of(plan) == [("SuccessCriteriaMet", "True", "SuccessPolicy")]
    sim.kill_terminating()
    plan = sim.sync()
    assert plan.finished
    assert conditions_of(plan) == [
        ("SuccessCriteriaMet", "True", "SuccessPolicy"),
        ("Complete", "True", "SuccessPolicy"),
    ]
    assert plan.status["failed"] == 0 and plan.status["succeeded"] == 1
    assert plan.status["conditions"][1]["message"] == "Matched rules at index 0"
    assert plan.events == (("Normal", "Completed", "Job completed"),)
    assert_second_run_changes_nothing(sim, plan)


def test_pod_failure_policy_fail_job_ends_the_job_early() -> None:
    """Scenario 81: FailJob on exit code 1 fails the Job although backoffLimit 6 is far away."""
    policy = {"rules": [{"action": "FailJob", "onExitCodes": {"operator": "In", "values": [1]}}]}
    sim = Sim(job(parallelism=2, completions=2, pod_failure_policy=policy))
    sim.sync()
    names = sim.live()
    for name in names:
        sim.run(name)
    sim.advance(5)
    sim.finish(names[0], exit_code=1)
    plan = sim.sync()
    assert conditions_of(plan) == [("FailureTarget", "True", "PodFailurePolicy")]
    sim.kill_terminating()
    plan = sim.sync()
    assert plan.finished and plan.events[0][1] == "PodFailurePolicy"
    assert plan.status["failed"] == 2


# --------------------------------------------------------------------------- indexes


@pytest.mark.parametrize(
    ("indexes", "text"),
    [
        ([], ""),
        ([0], "0"),
        ([3, 4], "3,4"),
        ([1, 3, 4, 5, 7], "1,3-5,7"),
        ([0, 1, 2], "0-2"),
        ([2, 4, 5, 7, 8, 9], "2,4,5,7-9"),
    ],
    ids=lambda v: str(v),
)
def test_completed_indexes_compression(indexes: list[int], text: str) -> None:
    assert format_indexes(indexes) == text
    assert parse_indexes_from_string(text, 100) == set(indexes)


def test_parse_indexes_drops_out_of_range_and_corrupt_parts() -> None:
    assert parse_indexes_from_string("0,x,2-9", 5) == {0, 2, 3, 4}


def test_slow_start_batches() -> None:
    assert slow_start_batches(0) == ()
    assert slow_start_batches(1) == (1,)
    assert slow_start_batches(500) == (1, 2, 4, 8, 16, 32, 64, 128, 245)


# --------------------------------------------------------------------------- attempts


def test_job_attempts_keeps_deleted_pods_and_records_backoff() -> None:
    sim = Sim(job(backoff_limit=6))
    sim.sync()
    first = sim.newest()
    sim.pods[first]["spec"]["nodeName"] = "node-1"
    sim.advance(5)
    sim.finish(first, exit_code=2)
    sim.sync()
    history = job_attempts(sim.job, list(sim.pods.values()), [])
    sim.advance(10)
    sim.sync()
    del sim.pods[first]
    history = job_attempts(sim.job, list(sim.pods.values()), history)
    assert [a["pod"] for a in history] == ["hello-00001", "hello-00002"]
    gone, retry = history
    assert gone["gone"] is True and gone["exitCode"] == 2 and gone["node"] == "node-1"
    assert gone["finished"] == "2026-01-01T00:00:05Z" and gone["backoffSeconds"] == 0.0
    assert retry["gone"] is False and retry["backoffSeconds"] == 10.0 and retry["created"] == "2026-01-01T00:00:15Z"
    assert job_attempts(sim.job, list(sim.pods.values()), history) == history
