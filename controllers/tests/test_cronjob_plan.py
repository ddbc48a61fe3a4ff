"""Planner tests for the CronJob controller (after cronjob_controllerv2_test.go TestControllerV2SyncCronJob).

Every case also checks that a second plan over the settled state is empty.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest

from controllers.cronjob_plan import (
    CRONJOB_SCHEDULED_TIMESTAMP,
    CronJobPlan,
    describe_schedule,
    get_job_name,
    next_schedule_time,
    plan_cronjob,
)
from controllers.job_plan import format_time

ON_THE_HOUR = "0 * * * ?"
JUST_BEFORE_THE_PRIOR_HOUR = datetime(2016, 5, 19, 8, 59, tzinfo=timezone.utc)
JUST_AFTER_THE_PRIOR_HOUR = datetime(2016, 5, 19, 9, 1, tzinfo=timezone.utc)
JUST_BEFORE_THE_HOUR = datetime(2016, 5, 19, 9, 59, tzinfo=timezone.utc)
JUST_AFTER_THE_HOUR = datetime(2016, 5, 19, 10, 1, tzinfo=timezone.utc)
WEEK_AFTER_THE_HOUR = datetime(2016, 5, 26, 10, 0, tzinfo=timezone.utc)
SHORT_DEAD, MEDIUM_DEAD, LONG_DEAD = 10, 2 * 60 * 60, 1_000_000
JOB_AT_PRIOR_HOUR = "mycronjob-24394140"  # 2016-05-19T09:00:00Z in Unix minutes


# --------------------------------------------------------------------------- builders


def cronjob(
    *,
    schedule: str = ON_THE_HOUR,
    policy: str = "Allow",
    suspend: bool = False,
    time_zone: str | None = None,
    deadline: int | None = None,
    created: datetime = JUST_BEFORE_THE_HOUR,
    successful_limit: int = 3,
    failed_limit: int = 1,
    deleting: bool = False,
    status: dict | None = None,
) -> dict:
    """A defaulted CronJob named like upstream's test fixture."""
    spec = {
        "schedule": schedule,
        "concurrencyPolicy": policy,
        "suspend": suspend,
        "successfulJobsHistoryLimit": successful_limit,
        "failedJobsHistoryLimit": failed_limit,
        "jobTemplate": {
            "metadata": {"labels": {"a": "b"}, "annotations": {"x": "y"}},
            "spec": {
                "parallelism": 1,
                "completions": 1,
                "template": {"metadata": {"labels": {"foo": "bar"}}, "spec": {"containers": [{"image": "foo/bar"}]}},
            },
        },
    }
    if time_zone is not None:
        spec["timeZone"] = time_zone
    if deadline is not None:
        spec["startingDeadlineSeconds"] = deadline
    metadata = {
        "name": "mycronjob",
        "namespace": "snazzycats",
        "uid": "1a2b3c",
        "creationTimestamp": format_time(created),
    }
    if deleting:
        metadata["deletionTimestamp"] = format_time(created)
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": metadata, "spec": spec, "status": status or {}}


def child(
    name: str,
    *,
    finished: str | None = None,
    started: datetime | None = None,
    completed: datetime | None = None,
    owner: str = "mycronjob",
) -> dict:
    """A Job owned by the CronJob; ``finished`` is 'Complete' or 'Failed'."""
    status: dict = {}
    if started is not None:
        status["startTime"] = format_time(started)
    if finished is not None:
        status["conditions"] = [{"type": finished, "status": "True"}]
    if completed is not None:
        status["completionTime"] = format_time(completed)
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": "snazzycats",
            "uid": f"uid-{name}",
            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob", "name": owner, "controller": True}],
        },
        "status": status,
    }


def ref(job: dict) -> dict:
    meta = job["metadata"]
    return {"apiVersion": "batch/v1", "kind": "Job", **{k: meta[k] for k in ("name", "namespace", "uid")}}


def ran_previously(*, active: bool, finished: str | None = None) -> tuple[dict, list[dict]]:
    """Status and child Job of a CronJob whose 09:00 run is still listed as active."""
    job = child(JOB_AT_PRIOR_HOUR, finished=finished, started=JUST_AFTER_THE_PRIOR_HOUR)
    status = {"lastScheduleTime": format_time(JUST_AFTER_THE_PRIOR_HOUR), "active": [ref(job)] if active else []}
    return status, [job]


# --------------------------------------------------------------------------- a tiny cluster


class CronSim:
    """Applies CronJob plans to a list of Jobs, as the store would."""

    def __init__(self, cj: dict, jobs: list[dict] = (), *, now: datetime):
        self.cj = copy.deepcopy(cj)
        self.jobs = {j["metadata"]["name"]: copy.deepcopy(j) for j in jobs}
        self.now = now
        self.events: list[tuple[str, str, str]] = []

    def plan(self) -> CronJobPlan:
        return plan_cronjob(self.cj, list(self.jobs.values()), now=self.now)

    def sync(self) -> CronJobPlan:
        plan = self.plan()
        self.apply(plan)
        return plan

    def apply(self, plan: CronJobPlan) -> None:
        self.cj["status"] = copy.deepcopy(plan.status)
        self.events += plan.events
        for name in plan.delete:
            del self.jobs[name]
        for manifest in plan.create:
            job = copy.deepcopy(manifest)
            job["metadata"]["uid"] = f"uid-{job['metadata']['name']}"
            job["status"] = {"startTime": format_time(self.now)}
            self.jobs[job["metadata"]["name"]] = job

    def finish(self, name: str, outcome: str = "Complete") -> None:
        status = self.jobs[name]["status"]
        status["conditions"] = [{"type": outcome, "status": "True"}]
        if outcome == "Complete":
            status["completionTime"] = format_time(self.now)

    def running(self) -> list[str]:
        return sorted(n for n, j in self.jobs.items() if not j["status"].get("conditions"))


REPEATING_WARNINGS = {
    "UnparseableSchedule",
    "UnknownTimeZone",
    "InvalidSchedule",
    "UnsupportedSchedule",
    "UnexpectedJob",
    "JobAlreadyActive",
}


def assert_second_run_changes_nothing(sim: CronSim, first: CronJobPlan) -> None:
    """Re-planning after applying: nothing to create or delete, same status.

    Upstream repeats a few complaints on every sync (they describe a standing condition),
    so only those may show up again.
    """
    again = sim.plan()
    assert again.create == ()
    assert again.delete == ()
    assert again.status == first.status
    assert {reason for _, reason, _ in again.events} <= REPEATING_WARNINGS


# --------------------------------------------------------------------------- the sync table


@dataclass
class CronCase:
    id: str
    cj: dict
    now: datetime
    jobs: list[dict] = field(default_factory=list)
    # expectations
    create: str | None = None
    delete: list[str] = field(default_factory=list)
    active: int = 0
    events: list[str] = field(default_factory=list)
    requeue_after: float | None = None


HOUR = 3600.0
TO_NEXT_HOUR = HOUR - 60 + 0.1  # from 10:01 to 11:00, plus upstream's 100 ms
TO_THE_HOUR = 60 + 0.1  # from 09:59 to 10:00
CREATED_AT_THE_HOUR = "mycronjob-24394200"  # 2016-05-19T10:00:00Z in Unix minutes


def _ran(policy: str = "Allow", *, active: bool, finished: str | None, **kwargs) -> dict:
    """CronCase fields for a CronJob that ran at 09:00 (see ran_previously)."""
    status, jobs = ran_previously(active=active, finished=finished)
    return {"cj": cronjob(policy=policy, created=JUST_BEFORE_THE_PRIOR_HOUR, status=status, **kwargs), "jobs": jobs}


CRON_CASES = [
    CronCase(
        "never ran, not valid schedule",
        cronjob(schedule="obvious error schedule"),
        JUST_BEFORE_THE_HOUR,
        events=["UnparseableSchedule"],
    ),
    CronCase(
        "never ran, not valid time zone",
        cronjob(time_zone="bad timezone"),
        JUST_BEFORE_THE_HOUR,
        events=["UnknownTimeZone"],
    ),
    CronCase("never ran, not time, A", cronjob(), JUST_BEFORE_THE_HOUR, requeue_after=TO_THE_HOUR),
    CronCase("never ran, not time, F", cronjob(policy="Forbid"), JUST_BEFORE_THE_HOUR, requeue_after=TO_THE_HOUR),
    CronCase("never ran, not time, R", cronjob(policy="Replace"), JUST_BEFORE_THE_HOUR, requeue_after=TO_THE_HOUR),
    CronCase(
        "never ran, not time in zone",
        cronjob(time_zone="America/New_York"),
        JUST_BEFORE_THE_HOUR,
        requeue_after=TO_THE_HOUR,
    ),
    *[
        CronCase(
            f"never ran, is time, {policy[0]}",
            cronjob(policy=policy),
            JUST_AFTER_THE_HOUR,
            create=CREATED_AT_THE_HOUR,
            active=1,
            events=["SuccessfulCreate"],
            requeue_after=TO_NEXT_HOUR,
        )
        for policy in ("Allow", "Forbid", "Replace")
    ],
    CronCase(
        "never ran, is time in zone",
        cronjob(time_zone="America/New_York"),
        JUST_AFTER_THE_HOUR,
        create=CREATED_AT_THE_HOUR,
        active=1,
        events=["SuccessfulCreate"],
        requeue_after=TO_NEXT_HOUR,
    ),
    CronCase(
        "never ran, is time in zone, but TZ is also set in schedule",
        cronjob(schedule="TZ=UTC " + ON_THE_HOUR, time_zone="America/New_York"),
        JUST_AFTER_THE_HOUR,
        create=CREATED_AT_THE_HOUR,
        active=1,
        events=["UnsupportedSchedule", "SuccessfulCreate"],
        requeue_after=TO_NEXT_HOUR,
    ),
    CronCase("never ran, is time, suspended", cronjob(suspend=True), JUST_AFTER_THE_HOUR),
    CronCase(
        "never ran, is time, past deadline",
        cronjob(deadline=SHORT_DEAD),
        JUST_AFTER_THE_HOUR + timedelta(minutes=SHORT_DEAD + 1),
        requeue_after=HOUR - 60 - 60 * (SHORT_DEAD + 1) + 0.1,
    ),
    CronCase(
        "never ran, is time, not past deadline",
        cronjob(deadline=LONG_DEAD),
        JUST_AFTER_THE_HOUR,
        create=CREATED_AT_THE_HOUR,
        active=1,
        events=["SuccessfulCreate"],
        requeue_after=TO_NEXT_HOUR,
    ),
    CronCase(
        "prev ran but done, not time, A",
        **_ran(active=True, finished="Complete"),
        now=JUST_BEFORE_THE_HOUR,
        events=["SawCompletedJob"],
        requeue_after=TO_THE_HOUR,
    ),
    CronCase(
        "prev ran but done, is time, A",
        **_ran(active=True, finished="Complete"),
        now=JUST_AFTER_THE_HOUR,
        create=CREATED_AT_THE_HOUR,
        active=1,
        events=["SawCompletedJob", "SuccessfulCreate"],
        requeue_after=TO_NEXT_HOUR,
    ),
    CronCase(
        "prev ran but done, is time, F",
        **_ran("Forbid", active=True, finished="Failed"),
        now=JUST_AFTER_THE_HOUR,
        create=CREATED_AT_THE_HOUR,
        active=1,
        events=["SawCompletedJob", "SuccessfulCreate"],
        requeue_after=TO_NEXT_HOUR,
    ),
    CronCase(
        "still active, not time, A",
        **_ran(active=True, finished=None),
        now=JUST_BEFORE_THE_HOUR,
        active=1,
        requeue_after=TO_THE_HOUR,
    ),
    CronCase(
        "still active, is time, A",
        **_ran(active=True, finished=None),
        now=JUST_AFTER_THE_HOUR,
        create=CREATED_AT_THE_HOUR,
        active=2,
        events=["SuccessfulCreate"],
        requeue_after=TO_NEXT_HOUR,
    ),
    CronCase(
        "still active, is time, F",
        **_ran("Forbid", active=True, finished=None),
        now=JUST_AFTER_THE_HOUR,
        active=1,
        events=["JobAlreadyActive"],
        requeue_after=TO_NEXT_HOUR,
    ),
    CronCase(
        "still active, is time, R",
        **_ran("Replace", active=True, finished=None),
        now=JUST_AFTER_THE_HOUR,
        create=CREATED_AT_THE_HOUR,
        delete=[JOB_AT_PRIOR_HOUR],
        active=1,
        events=["SuccessfulDelete", "SuccessfulCreate"],
        requeue_after=TO_NEXT_HOUR,
    ),
    CronCase(
        "prev ran but done, long overdue, no deadline, A",
        **_ran(active=True, finished="Complete"),
        now=WEEK_AFTER_THE_HOUR,
        create="mycronjob-24404280",
        active=1,
        events=["SawCompletedJob", "TooManyMissedTimes", "SuccessfulCreate"],
        requeue_after=HOUR + 0.1,
    ),
    CronCase(
        "prev ran but done, long overdue, short deadline, A",
        **_ran(active=True, finished="Complete", deadline=SHORT_DEAD),
        now=WEEK_AFTER_THE_HOUR,
        create="mycronjob-24404280",
        active=1,
        events=["SawCompletedJob", "SuccessfulCreate"],
        requeue_after=HOUR + 0.1,
    ),
    CronCase(
        "prev ran but done, long overdue, medium deadline, A",
        **_ran(active=True, finished="Complete", deadline=MEDIUM_DEAD),
        now=WEEK_AFTER_THE_HOUR,
        create="mycronjob-24404280",
        active=1,
        events=["SawCompletedJob", "SuccessfulCreate"],
        requeue_after=HOUR + 0.1,
    ),
    CronCase(
        "prev ran but done, long overdue, long deadline, A",
        **_ran(active=True, finished="Complete", deadline=LONG_DEAD),
        now=WEEK_AFTER_THE_HOUR,
        create="mycronjob-24404280",
        active=1,
        events=["SawCompletedJob", "TooManyMissedTimes", "SuccessfulCreate"],
        requeue_after=HOUR + 0.1,
    ),
    CronCase(
        "missed the slot by more than startingDeadlineSeconds: skipped without an event",
        cronjob(deadline=60),
        JUST_AFTER_THE_HOUR + timedelta(minutes=4),
        requeue_after=HOUR - 5 * 60 + 0.1,
    ),
    CronCase(
        "active job went missing",
        cronjob(status={"active": [ref(child("mycronjob-gone"))]}),
        JUST_BEFORE_THE_HOUR,
        events=["MissingJob"],
        requeue_after=TO_THE_HOUR,
    ),
    CronCase(
        "unexpected unfinished job",
        cronjob(),
        JUST_BEFORE_THE_HOUR,
        jobs=[child("stranger")],
        events=["UnexpectedJob"],
        requeue_after=TO_THE_HOUR,
    ),
    CronCase(
        "@every schedule",
        cronjob(schedule="@every 1h"),
        JUST_AFTER_THE_HOUR,
        requeue_after=58 * 60 + 0.1,
    ),
    CronCase(
        "@hourly macro",
        cronjob(schedule="@hourly"),
        JUST_AFTER_THE_HOUR,
        create=CREATED_AT_THE_HOUR,
        active=1,
        events=["SuccessfulCreate"],
        requeue_after=TO_NEXT_HOUR,
    ),
    CronCase(
        "schedule that never fires",
        cronjob(schedule="59 23 31 2 *"),
        JUST_AFTER_THE_HOUR,
        events=["InvalidSchedule"],
    ),
    CronCase(
        "being deleted: only the status is reconciled",
        cronjob(deleting=True),
        JUST_AFTER_THE_HOUR,
    ),
    CronCase(
        "history limits keep 3 Complete and 1 Failed",
        cronjob(),
        JUST_BEFORE_THE_HOUR,
        jobs=[
            child(f"done-{i}", finished="Complete", started=JUST_BEFORE_THE_PRIOR_HOUR + timedelta(minutes=i))
            for i in range(5)
        ]
        + [
            child(f"failed-{i}", finished="Failed", started=JUST_BEFORE_THE_PRIOR_HOUR + timedelta(minutes=i))
            for i in range(3)
        ],
        delete=["done-0", "done-1", "failed-0", "failed-1"],
        events=["SuccessfulDelete"] * 4,
        requeue_after=TO_THE_HOUR,
    ),
    CronCase(
        "history limits treat never-started jobs as newest",
        cronjob(successful_limit=1),
        JUST_BEFORE_THE_HOUR,
        jobs=[
            child("a-never-started", finished="Complete"),
            child("b-started", finished="Complete", started=JUST_BEFORE_THE_PRIOR_HOUR),
        ],
        delete=["b-started"],
        events=["SuccessfulDelete"],
        requeue_after=TO_THE_HOUR,
    ),
]


@pytest.mark.parametrize("case", CRON_CASES, ids=[c.id for c in CRON_CASES])
def test_sync_cronjob(case: CronCase) -> None:
    sim = CronSim(case.cj, case.jobs, now=case.now)
    plan = sim.plan()

    assert [j["metadata"]["name"] for j in plan.create] == ([case.create] if case.create else [])
    assert list(plan.delete) == case.delete
    assert len(plan.status["active"]) == case.active
    assert [reason for _, reason, _ in plan.events] == case.events
    if case.requeue_after is None:
        assert plan.requeue_after is None
    else:
        assert plan.requeue_after == pytest.approx(case.requeue_after)
    assert plan.decisions

    sim.apply(plan)
    assert_second_run_changes_nothing(sim, plan)


# --------------------------------------------------------------------------- details


def test_created_job_carries_template_owner_and_scheduled_timestamp() -> None:
    plan = plan_cronjob(cronjob(time_zone="America/New_York"), [], now=JUST_AFTER_THE_HOUR)
    (job,) = plan.create
    assert job["metadata"] == {
        "name": CREATED_AT_THE_HOUR,
        "namespace": "snazzycats",
        "labels": {"a": "b"},
        "annotations": {"x": "y", CRONJOB_SCHEDULED_TIMESTAMP: "2016-05-19T06:00:00-04:00"},
        "ownerReferences": [
            {
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "name": "mycronjob",
                "uid": "1a2b3c",
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ],
    }
    assert job["spec"] == cronjob()["spec"]["jobTemplate"]["spec"]
    assert plan.status["lastScheduleTime"] == "2016-05-19T10:00:00Z"
    assert plan.status["active"] == [
        {"apiVersion": "batch/v1", "kind": "Job", "name": CREATED_AT_THE_HOUR, "namespace": "snazzycats"}
    ]
    assert plan.events == (("Normal", "SuccessfulCreate", f"Created job {CREATED_AT_THE_HOUR}"),)


def test_scheduled_timestamp_is_utc_without_a_time_zone() -> None:
    (job,) = plan_cronjob(cronjob(), [], now=JUST_AFTER_THE_HOUR).create
    assert job["metadata"]["annotations"][CRONJOB_SCHEDULED_TIMESTAMP] == "2016-05-19T10:00:00Z"


def test_schedule_is_read_in_the_cronjob_time_zone() -> None:
    """'30 2 * * *' in Tokyo is 17:30 UTC the previous day."""
    cj = cronjob(schedule="30 2 * * *", time_zone="Asia/Tokyo", created=datetime(2026, 1, 1, tzinfo=timezone.utc))
    plan = plan_cronjob(cj, [], now=datetime(2026, 1, 1, 17, 31, tzinfo=timezone.utc))
    (job,) = plan.create
    assert plan.status["lastScheduleTime"] == "2026-01-01T17:30:00Z"
    assert job["metadata"]["annotations"][CRONJOB_SCHEDULED_TIMESTAMP] == "2026-01-02T02:30:00+09:00"


def test_job_name_is_scheduled_time_in_unix_minutes() -> None:
    assert get_job_name(cronjob(), datetime(2026, 1, 1, 0, 5, tzinfo=timezone.utc)) == "mycronjob-29453765"


def test_event_texts() -> None:
    status, jobs = ran_previously(active=True, finished="Complete")
    plan = plan_cronjob(cronjob(created=JUST_BEFORE_THE_PRIOR_HOUR, status=status), jobs, now=JUST_BEFORE_THE_HOUR)
    assert plan.events == (("Normal", "SawCompletedJob", f"Saw completed job: {JOB_AT_PRIOR_HOUR}, status: Complete"),)
    assert plan_cronjob(cronjob(time_zone="bad timezone"), [], now=JUST_AFTER_THE_HOUR).events == (
        ("Warning", "UnknownTimeZone", 'invalid timeZone: "bad timezone": unknown time zone bad timezone'),
    )
    assert plan_cronjob(cronjob(schedule="obvious error schedule"), [], now=JUST_AFTER_THE_HOUR).events == (
        (
            "Warning",
            "UnparseableSchedule",
            'unparseable schedule: "obvious error schedule" : '
            "expected exactly 5 fields, found 3: [obvious error schedule]",
        ),
    )
    status, jobs = ran_previously(active=True)
    forbid = plan_cronjob(cronjob(policy="Forbid", status=status), jobs, now=JUST_AFTER_THE_HOUR)
    assert forbid.events == (
        (
            "Normal",
            "JobAlreadyActive",
            "Not starting job because prior execution is running and concurrency policy is Forbid",
        ),
    )
    replace = plan_cronjob(cronjob(policy="Replace", status=status), jobs, now=JUST_AFTER_THE_HOUR)
    assert replace.events[0] == ("Normal", "SuccessfulDelete", f"Deleted job {JOB_AT_PRIOR_HOUR}")


def test_too_many_missed_times_message() -> None:
    status, jobs = ran_previously(active=False, finished="Complete")
    plan = plan_cronjob(cronjob(created=JUST_BEFORE_THE_PRIOR_HOUR, status=status), jobs, now=WEEK_AFTER_THE_HOUR)
    assert (
        "Warning",
        "TooManyMissedTimes",
        "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew",
    ) in plan.events


def test_last_successful_time_is_the_latest_completion() -> None:
    jobs = [
        child("old", finished="Complete", completed=JUST_AFTER_THE_PRIOR_HOUR),
        child("new", finished="Complete", completed=JUST_BEFORE_THE_HOUR),
        child("failed", finished="Failed"),
    ]
    plan = plan_cronjob(cronjob(successful_limit=5), jobs, now=JUST_BEFORE_THE_HOUR)
    assert plan.status["lastSuccessfulTime"] == format_time(JUST_BEFORE_THE_HOUR)


def test_next_run_decision_and_time() -> None:
    cj = cronjob(schedule="*/5 * * * *", created=datetime(2026, 1, 1, tzinfo=timezone.utc))
    plan = plan_cronjob(cj, [], now=datetime(2026, 1, 1, 0, 2, 50, tzinfo=timezone.utc))
    assert plan.decisions[-1] == "next run 00:05:00 (in 2m10s)"
    assert plan.next_schedule_time == datetime(2026, 1, 1, 0, 5, tzinfo=timezone.utc)
    assert plan.requeue_after == pytest.approx(130.1)


@pytest.mark.parametrize(
    ("schedule", "time_zone", "after", "expected"),
    [
        ("*/5 * * * *", None, "2026-01-01T00:02:10Z", "2026-01-01T00:05:00Z"),
        ("*/5 * * * *", None, "2026-01-01T00:05:00Z", "2026-01-01T00:10:00Z"),
        ("@daily", None, "2026-01-01T12:00:00Z", "2026-01-02T00:00:00Z"),
        ("@weekly", None, "2026-01-01T12:00:00Z", "2026-01-04T00:00:00Z"),
        ("@monthly", None, "2026-01-15T00:00:00Z", "2026-02-01T00:00:00Z"),
        ("@yearly", None, "2026-01-15T00:00:00Z", "2027-01-01T00:00:00Z"),
        ("0 9 * * 1-5", "Europe/Paris", "2026-01-02T09:00:00Z", "2026-01-05T08:00:00Z"),
        ("@every 90s", None, "2026-01-01T00:00:00Z", "2026-01-01T00:01:30Z"),
        ("nonsense", None, "2026-01-01T00:00:00Z", None),
    ],
    ids=lambda v: str(v),
)
def test_next_schedule_time(schedule: str, time_zone: str | None, after: str, expected: str | None) -> None:
    cj = cronjob(schedule=schedule, time_zone=time_zone)
    moment = next_schedule_time(cj, datetime.fromisoformat(after))
    assert (format_time(moment) if moment else None) == expected


@pytest.mark.parametrize(
    ("schedule", "reading"),
    [
        ("* * * * *", "every minute"),
        ("*/5 * * * *", "every 5 minutes"),
        ("0 * * * *", "at minute 0 of every hour"),
        ("30 2 * * *", "at 02:30 every day"),
        ("0 */2 * * *", "at minute 0 of every 2 hours"),
        ("15 9 * * 1", "at 09:15 every Monday"),
        ("0 9 * * 1-5", "at 09:00 on weekdays"),
        ("0 0 1 * *", "at 00:00 on day 1 of every month"),
        ("@hourly", "@hourly: at minute 0 of every hour"),
        ("@daily", "@daily: at 00:00 every day"),
        ("@midnight", "@midnight: at 00:00 every day"),
        ("@weekly", "@weekly: at 00:00 every Sunday"),
        ("@yearly", "@yearly: at 00:00 on January 1"),
        ("@every 1h30m", "every 1h30m"),
        ("5,35 8-17 * * 1-5", "5,35 8-17 * * 1-5"),
    ],
    ids=lambda v: str(v),
)
def test_describe_schedule(schedule: str, reading: str) -> None:
    assert describe_schedule(schedule) == reading


# --------------------------------------------------------------------------- multi-pass scenarios


def _drive(sim: CronSim, until: datetime, runtime: timedelta, outcome=lambda name: "Complete") -> int:
    """Run the controller on its own requeue times and on Job completions; return max concurrency."""
    most_active = 0
    finishes: dict[str, datetime] = {}
    plan = sim.sync()
    while sim.now < until:
        for name in plan.create:
            finishes[name["metadata"]["name"]] = sim.now + runtime
        wake = sim.now + timedelta(seconds=plan.requeue_after)
        pending = {n: t for n, t in finishes.items() if n in sim.running()}
        next_finish = min(pending.values(), default=None)
        if next_finish is not None and next_finish <= wake:
            sim.now = next_finish
            for name in [n for n, t in pending.items() if t == next_finish]:
                sim.finish(name, outcome(name))
        else:
            sim.now = wake
        plan = sim.sync()
        most_active = max(most_active, len(plan.status["active"]))
    return most_active


def test_forbid_never_runs_two_jobs_at_once() -> None:
    """Scenario 89: every minute, each run takes 90 s, Forbid."""
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    sim = CronSim(cronjob(schedule="* * * * *", policy="Forbid", created=start, successful_limit=100), now=start)
    most_active = _drive(sim, start + timedelta(minutes=10), timedelta(seconds=90))
    assert most_active == 1
    assert any(reason == "JobAlreadyActive" for _, reason, _ in sim.events)
    # upstream starts the held-back slot as soon as the running Job finishes (no startingDeadlineSeconds)
    starts = sorted(j["status"]["startTime"] for j in sim.jobs.values())
    assert "2026-01-01T00:02:30Z" in starts


def test_allow_runs_overlapping_jobs() -> None:
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    sim = CronSim(cronjob(schedule="* * * * *", created=start, successful_limit=100), now=start)
    assert _drive(sim, start + timedelta(minutes=5), timedelta(seconds=150)) == 3


def test_history_limits_after_many_runs() -> None:
    """Scenario 91: only the 3 newest Complete Jobs and the newest Failed Job remain."""
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    sim = CronSim(cronjob(schedule="* * * * *", created=start), now=start)
    fails = lambda name: "Failed" if int(name.rsplit("-", 1)[1]) % 3 == 0 else "Complete"  # noqa: E731
    _drive(sim, start + timedelta(minutes=12, seconds=30), timedelta(seconds=10), fails)
    outcome = {n: j["status"]["conditions"][0]["type"] for n, j in sim.jobs.items() if j["status"].get("conditions")}
    # runs at minutes 1..13 (29453760 is 00:00); minutes divisible by 3 fail; minute 13 is still running
    assert sorted(n for n, o in outcome.items() if o == "Complete") == [
        "mycronjob-29453768",
        "mycronjob-29453770",
        "mycronjob-29453771",
    ]
    assert sorted(n for n, o in outcome.items() if o == "Failed") == ["mycronjob-29453772"]
    assert sim.running() == ["mycronjob-29453773"]
    assert sim.cj["status"]["lastSuccessfulTime"] == "2026-01-01T00:11:10Z"


def test_controller_down_past_starting_deadline_skips_the_run() -> None:
    """Scenario 93: with a deadline the missed run is dropped; without one it starts on recovery."""
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    recovered = datetime(2026, 1, 1, 3, 30, tzinfo=timezone.utc)
    strict = plan_cronjob(cronjob(schedule="0 * * * *", deadline=300, created=start), [], now=recovered)
    assert strict.create == () and strict.events == ()
    assert any("startingDeadlineSeconds 300" in d for d in strict.decisions)
    relaxed = plan_cronjob(cronjob(schedule="0 * * * *", created=start), [], now=recovered)
    three_am = datetime(2026, 1, 1, 3, tzinfo=timezone.utc)
    assert [j["metadata"]["name"] for j in relaxed.create] == [get_job_name(cronjob(), three_am)]
    many = plan_cronjob(cronjob(schedule="* * * * *", created=start), [], now=recovered)
    assert [reason for _, reason, _ in many.events] == ["TooManyMissedTimes", "SuccessfulCreate"]
    assert many.status["lastScheduleTime"] == "2026-01-01T03:30:00Z"


def test_suspended_cronjob_still_reconciles_active_jobs() -> None:
    status, jobs = ran_previously(active=True, finished="Complete")
    plan = plan_cronjob(cronjob(suspend=True, status=status), jobs, now=JUST_AFTER_THE_HOUR)
    assert plan.create == () and plan.requeue_after is None
    assert plan.status["active"] == []
    assert [reason for _, reason, _ in plan.events] == ["SawCompletedJob"]
