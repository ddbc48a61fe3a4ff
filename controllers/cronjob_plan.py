"""Pure planning core of the CronJob controller (v2).

Mirrors ``pkg/controller/cronjob/cronjob_controllerv2.go`` (``sync``,
``cleanupFinishedJobs``, ``syncCronJob``) and ``utils.go`` (``mostRecentScheduleTime``,
``nextScheduleTime``, ``nextScheduleTimeDuration``, ``getJobFromTemplate2``). Cron
expressions are evaluated with croniter in the CronJob's time zone.

Deviations from upstream:

* ``spec.timeZone`` unset means UTC (upstream: kube-controller-manager's local zone).
* ``lastSuccessfulTime`` is taken from a finished Job in the same pass that removes it
  from ``status.active`` (upstream needs a second sync for that).
* Jobs that already carry a ``deletionTimestamp`` are not deleted again by the
  history cleanup (upstream's repeated DELETE is a no-op).
* The new Job's ``status.active`` entry has no ``uid`` (the store assigns it); entries
  are matched by uid when both sides have one, else by name.

Upstream detail kept on purpose: a slot missed by more than
``startingDeadlineSeconds`` is skipped silently. ``nextScheduleTime`` only searches
the window ``[now - startingDeadlineSeconds, now]``, so the ``MissSchedule`` branch of
``syncCronJob`` can never fire (kubernetes#111223, #101148).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from croniter.croniter import CroniterBadDateError, CroniterError

from cluster.jsondata import copy_json
from controllers.job_plan import Event, format_time, parse_time

CRONJOB_SCHEDULED_TIMESTAMP = "batch.kubernetes.io/cronjob-scheduled-timestamp"
NEXT_SCHEDULE_DELTA = timedelta(milliseconds=100)
TOO_MANY_MISSED = 100

NORMAL = "Normal"
WARNING = "Warning"

_DESCRIPTORS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_TZ_PREFIX = re.compile(r"^(?:CRON_)?TZ=(\S+)\s+(.*)$")
_GO_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s)")
_GO_DURATION_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_DAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
_MONTH_NAMES = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip


# --------------------------------------------------------------------------- plan


@dataclass(frozen=True)
class CronJobPlan:
    create: tuple[dict, ...]  # Job manifests (at most one)
    delete: tuple[str, ...]  # Job names to delete (background propagation)
    status: dict
    events: tuple[Event, ...]
    requeue_after: float | None
    decisions: tuple[str, ...]
    next_schedule_time: datetime | None


# --------------------------------------------------------------------------- schedule


class ScheduleError(ValueError):
    """The schedule text cannot be parsed (Warning UnparseableSchedule)."""


class InvalidScheduleError(ValueError):
    """The schedule parses but never fires, e.g. '59 23 31 2 *' (Warning InvalidSchedule)."""


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule, like robfig/cron's Schedule: ``next(t)`` is strictly after ``t``."""

    expression: str | None
    every: timedelta | None
    zone: tzinfo

    def next(self, after: datetime) -> datetime:
        if self.every is not None:
            return after.replace(microsecond=0) + self.every
        try:
            moment = croniter(self.expression, after.astimezone(self.zone)).get_next(datetime)
        except CroniterBadDateError as error:
            raise InvalidScheduleError("time difference between two schedules is less than 1 second") from error
        return moment.astimezone(timezone.utc)


def load_time_zone(name: str | None) -> tzinfo:
    """time.LoadLocation; raises ValueError('unknown time zone X')."""
    if name is None or name in ("", "UTC"):
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {name}") from error


def parse_schedule(schedule: str, zone: tzinfo) -> Schedule:
    """cron.ParseStandard: 5 fields, @descriptors, @every <duration>, optional TZ= prefix."""
    text = schedule.strip()
    prefix = _TZ_PREFIX.match(text)
    if prefix:
        try:
            zone = load_time_zone(prefix.group(1))
        except ValueError as error:
            raise ScheduleError(f"provided bad location {prefix.group(1)}: {error}") from error
        text = prefix.group(2).strip()
    if text.startswith("@every "):
        return Schedule(expression=None, every=_parse_go_duration(text[len("@every ") :].strip()), zone=zone)
    if text.startswith("@"):
        if text not in _DESCRIPTORS:
            raise ScheduleError(f"unrecognized descriptor: {text}")
        text = _DESCRIPTORS[text]
    fields = text.split()
    if len(fields) != 5:
        raise ScheduleError(f"expected exactly 5 fields, found {len(fields)}: [{text}]")
    try:
        croniter(text)
    except CroniterError as error:
        raise ScheduleError(str(error)) from error
    return Schedule(expression=text, every=None, zone=zone)


def _parse_go_duration(text: str) -> timedelta:
    parts = _GO_DURATION_PART.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        raise ScheduleError(f"failed to parse duration @every {text}: time: invalid duration {text!r}")
    seconds = sum(float(number) * _GO_DURATION_UNITS[unit] for number, unit in parts)
    return timedelta(seconds=max(1, int(seconds)))  # robfig rounds @every up to whole seconds


def _cronjob_zone(cj: dict) -> tzinfo:
    return load_time_zone((cj.get("spec") or {}).get("timeZone"))


def next_schedule_time(cj: dict, after: datetime) -> datetime | None:
    """The first schedule time strictly after ``after``; None if the schedule or zone is invalid."""
    try:
        return parse_schedule(cj["spec"]["schedule"], _cronjob_zone(cj)).next(after)
    except ValueError:
        return None


def most_recent_schedule_time(
    cj: dict, status: dict, now: datetime, schedule: Schedule, include_starting_deadline: bool
) -> tuple[datetime, datetime | None, int]:
    """mostRecentScheduleTime: (earliest time, most recent unmet time or None, missed count).

    The missed count is upstream's rough estimate, only meaningful for "> 100".
    """
    earliest = parse_time(status.get("lastScheduleTime")) or parse_time(cj["metadata"]["creationTimestamp"])
    deadline = (cj.get("spec") or {}).get("startingDeadlineSeconds")
    if include_starting_deadline and deadline is not None:
        earliest = max(earliest, now - timedelta(seconds=deadline))
    first = schedule.next(earliest)
    second = schedule.next(first)
    if now < first:
        return earliest, None, 0
    if now < second:
        return earliest, first, 0
    between = round((second - first).total_seconds())
    if between < 1:
        raise InvalidScheduleError("time difference between two schedules is less than 1 second")
    missed = int((now - first).total_seconds()) // between + 1
    most_recent = None
    moment = schedule.next(first + timedelta(seconds=(missed - 2) * between))
    while moment <= now:
        most_recent = moment
        moment = schedule.next(moment)
    return earliest, most_recent, missed


def next_schedule_time_duration(cj: dict, status: dict, now: datetime, schedule: Schedule) -> timedelta:
    """nextScheduleTimeDuration: when to sync again (next slot + 100 ms)."""
    try:
        earliest, most_recent, missed = most_recent_schedule_time(cj, status, now, schedule, False)
        if most_recent is None:
            most_recent = earliest if missed == 0 else now
    except InvalidScheduleError:
        most_recent = now
    return schedule.next(most_recent) + NEXT_SCHEDULE_DELTA - now


# --------------------------------------------------------------------------- jobs


def _meta(obj: dict) -> dict:
    return obj.get("metadata") or {}


def job_finished_type(job: dict) -> str | None:
    """getFinishedStatus: 'Complete' or 'Failed' when that condition is True."""
    for condition in (job.get("status") or {}).get("conditions") or []:
        if condition.get("type") in ("Complete", "Failed") and condition.get("status") == "True":
            return condition["type"]
    return None


def get_job_name(cj: dict, scheduled_time: datetime) -> str:
    """'<cronjob>-<scheduled time in Unix minutes>'."""
    return f"{_meta(cj)['name']}-{int(scheduled_time.timestamp()) // 60}"


def _rfc3339(moment: datetime) -> str:
    text = moment.replace(microsecond=0).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def get_job_from_template(cj: dict, scheduled_time: datetime, zone: tzinfo) -> dict:
    """getJobFromTemplate2."""
    meta = _meta(cj)
    template = (cj.get("spec") or {}).get("jobTemplate") or {}
    template_meta = template.get("metadata") or {}
    annotations = dict(template_meta.get("annotations") or {})
    annotations[CRONJOB_SCHEDULED_TIMESTAMP] = _rfc3339(scheduled_time.astimezone(zone))
    metadata = {
        "name": get_job_name(cj, scheduled_time),
        "labels": dict(template_meta.get("labels") or {}),
        "annotations": annotations,
        "ownerReferences": [
            {
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "name": meta.get("name"),
                "uid": meta.get("uid", ""),
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ],
    }
    if meta.get("namespace"):
        metadata["namespace"] = meta["namespace"]
    spec = copy_json(template.get("spec") or {})
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": metadata, "spec": spec}


def _job_ref(job: dict) -> dict:
    meta = _meta(job)
    ref = {"apiVersion": "batch/v1", "kind": "Job", "name": meta["name"]}
    for key in ("namespace", "uid", "resourceVersion"):
        if meta.get(key):
            ref[key] = meta[key]
    return ref


def _ref_matches(ref: dict, job: dict) -> bool:
    uid = _meta(job).get("uid")
    if ref.get("uid") and uid:
        return ref["uid"] == uid
    return ref.get("name") == _meta(job).get("name")


def _start_time_key(job: dict) -> tuple:
    """byJobStartTime: started jobs oldest first, never-started last, ties by name."""
    start = parse_time((job.get("status") or {}).get("startTime"))
    return (start is None, start or datetime.min.replace(tzinfo=timezone.utc), _meta(job).get("name", ""))


# --------------------------------------------------------------------------- plan_cronjob


def plan_cronjob(cj: dict, jobs: list[dict], *, now: datetime) -> CronJobPlan:
    """One sync of one CronJob: history cleanup, then syncCronJob."""
    return _CronJobSync(cj, jobs, now).run()


class _CronJobSync:
    def __init__(self, cj: dict, jobs: list[dict], now: datetime) -> None:
        self.cj = cj
        self.spec = cj.get("spec") or {}
        self.jobs = sorted(jobs, key=lambda j: _meta(j).get("name", ""))
        self.now = now
        self.status = copy_json(cj.get("status") or {})
        self.active: list[dict] = list(self.status.get("active") or [])
        self.create: list[dict] = []
        self.delete: list[str] = []
        self.events: list[Event] = []
        self.decisions: list[str] = []
        self.next_time: datetime | None = None

    def run(self) -> CronJobPlan:
        self._cleanup_finished_jobs()
        requeue = self._sync_cronjob()
        self.status["active"] = self.active
        return CronJobPlan(
            create=tuple(self.create),
            delete=tuple(self.delete),
            status=self.status,
            events=tuple(self.events),
            requeue_after=requeue.total_seconds() if requeue is not None else None,
            decisions=tuple(self.decisions),
            next_schedule_time=self.next_time,
        )

    # ---------------------------------------------------------------- history

    def _cleanup_finished_jobs(self) -> None:
        live = [j for j in self.jobs if not _meta(j).get("deletionTimestamp")]
        for kind, field, default in (
            ("Complete", "successfulJobsHistoryLimit", 3),
            ("Failed", "failedJobsHistoryLimit", 1),
        ):
            limit = self.spec.get(field, default)
            finished = sorted((j for j in live if job_finished_type(j) == kind), key=_start_time_key)
            excess = finished[: max(len(finished) - limit, 0)]
            for job in excess:
                self._delete_job(job)
            if excess:
                self.decisions.append(
                    f"{len(finished)} {kind} jobs kept, {field} {limit}: deleting the oldest {len(excess)}"
                )

    def _delete_job(self, job: dict) -> None:
        name = _meta(job)["name"]
        self.delete.append(name)
        self.active = [ref for ref in self.active if not _ref_matches(ref, job)]
        self.events.append((NORMAL, "SuccessfulDelete", f"Deleted job {name}"))

    # ---------------------------------------------------------------- sync

    def _sync_cronjob(self) -> timedelta | None:
        self._reconcile_active_jobs()
        if _meta(self.cj).get("deletionTimestamp"):
            self.decisions.append("cronjob is being deleted: no new jobs")
            return None
        try:
            zone = _cronjob_zone(self.cj)
        except ValueError as error:
            message = f'invalid timeZone: "{self.spec.get("timeZone")}": {error}'
            self.events.append((WARNING, "UnknownTimeZone", message))
            self.decisions.append(f"time zone {self.spec.get('timeZone')!r} is unknown: no jobs are started")
            return None
        if self.spec.get("suspend"):
            self.decisions.append("cronjob is suspended: no jobs are started")
            return None
        schedule_text = self.spec.get("schedule", "")
        if "TZ" in schedule_text:
            self.events.append(
                (
                    WARNING,
                    "UnsupportedSchedule",
                    f'CRON_TZ or TZ used in schedule "{schedule_text}" is not officially supported, '
                    "see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details",
                )
            )
        try:
            schedule = parse_schedule(schedule_text, zone)
        except ScheduleError as error:
            self.events.append((WARNING, "UnparseableSchedule", f'unparseable schedule: "{schedule_text}" : {error}'))
            self.decisions.append(f"schedule {schedule_text!r} cannot be parsed: no jobs are started")
            return None
        try:
            scheduled_time = self._next_unmet_schedule_time(schedule)
        except InvalidScheduleError as error:
            self.events.append((WARNING, "InvalidSchedule", f"invalid schedule: {schedule_text} : {error}"))
            self.decisions.append(f"schedule {schedule_text!r} never fires: no jobs are started")
            return None
        if scheduled_time is not None:
            self._start_job_if_allowed(scheduled_time, schedule, zone)
        return self._requeue(schedule, zone)

    def _reconcile_active_jobs(self) -> None:
        """status.active against the child Jobs; lastSuccessfulTime."""
        for job in self.jobs:
            name = _meta(job)["name"]
            found = any(_ref_matches(ref, job) for ref in self.active)
            finished = job_finished_type(job)
            if not found and finished is None:
                self.events.append(
                    (WARNING, "UnexpectedJob", f"Saw a job that the controller did not create or forgot: {name}")
                )
            elif found and finished is not None:
                self.active = [ref for ref in self.active if not _ref_matches(ref, job)]
                self.events.append((NORMAL, "SawCompletedJob", f"Saw completed job: {name}, status: {finished}"))
                self.decisions.append(f"job {name} finished ({finished}): no longer active")
            if finished == "Complete":
                self._note_success(job)
        for ref in list(self.active):
            if not any(_ref_matches(ref, job) for job in self.jobs):
                self.active.remove(ref)
                self.events.append((NORMAL, "MissingJob", f"Active job went missing: {ref.get('name')}"))
                self.decisions.append(f"active job {ref.get('name')} no longer exists: dropped from status.active")

    def _note_success(self, job: dict) -> None:
        completed = parse_time((job.get("status") or {}).get("completionTime"))
        last = parse_time(self.status.get("lastSuccessfulTime"))
        if completed is not None and (last is None or completed > last):
            self.status["lastSuccessfulTime"] = format_time(completed)

    def _next_unmet_schedule_time(self, schedule: Schedule) -> datetime | None:
        """nextScheduleTime: the most recent unmet time inside the starting deadline."""
        _, most_recent, missed = most_recent_schedule_time(self.cj, self.status, self.now, schedule, True)
        if most_recent is None:
            deadline = self.spec.get("startingDeadlineSeconds")
            if deadline is not None and most_recent_schedule_time(self.cj, self.status, self.now, schedule, False)[1]:
                self.decisions.append(
                    f"the last scheduled run is more than startingDeadlineSeconds {deadline} old: skipped "
                    "(Kubernetes records no event for this)"
                )
            return None
        if missed > TOO_MANY_MISSED:
            self.events.append(
                (
                    WARNING,
                    "TooManyMissedTimes",
                    "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew",
                )
            )
            self.decisions.append(f"about {missed} start times were missed: only the most recent one runs")
        return most_recent

    def _start_job_if_allowed(self, scheduled_time: datetime, schedule: Schedule, zone: tzinfo) -> None:
        name = get_job_name(self.cj, scheduled_time)
        when = _clock(scheduled_time, zone, self.now)
        if any(ref.get("name") == name for ref in self.active) or self.status.get("lastScheduleTime") == format_time(
            scheduled_time
        ):
            self.decisions.append(f"the {when} run was already started")
            return
        policy = self.spec.get("concurrencyPolicy", "Allow")
        if policy == "Forbid" and self.active:
            self.events.append(
                (
                    NORMAL,
                    "JobAlreadyActive",
                    "Not starting job because prior execution is running and concurrency policy is Forbid",
                )
            )
            running = ", ".join(ref.get("name", "") for ref in self.active)
            self.decisions.append(f"the {when} run waits: concurrencyPolicy Forbid and {running} is still running")
            return
        if policy == "Replace":
            for ref in list(self.active):
                self.delete.append(ref["name"])
                self.events.append((NORMAL, "SuccessfulDelete", f"Deleted job {ref['name']}"))
                self.decisions.append(f"concurrencyPolicy Replace: deleting still-running job {ref['name']}")
            self.active = []
        job = get_job_from_template(self.cj, scheduled_time, zone)
        self.create.append(job)
        self.events.append((NORMAL, "SuccessfulCreate", f"Created job {name}"))
        self.active.append(_job_ref(job))
        self.status["lastScheduleTime"] = format_time(scheduled_time)
        self.decisions.append(f"creating job {name} for the {when} run")

    def _requeue(self, schedule: Schedule, zone: tzinfo) -> timedelta:
        requeue = next_schedule_time_duration(self.cj, self.status, self.now, schedule)
        self.next_time = self.now + requeue - NEXT_SCHEDULE_DELTA
        self.decisions.append(
            f"next run {_clock(self.next_time, zone, self.now)} (in {_duration(self.next_time - self.now)})"
        )
        return requeue


# --------------------------------------------------------------------------- wording


def _clock(moment: datetime, zone: tzinfo, now: datetime) -> str:
    local = moment.astimezone(zone)
    if local.date() == now.astimezone(zone).date():
        return local.strftime("%H:%M:%S")
    return local.strftime("%Y-%m-%d %H:%M:%S")


def _duration(delta: timedelta) -> str:
    """Go-like short duration: '2m10s', '1h', '3d4h'."""
    seconds = max(0, round(delta.total_seconds()))
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        amount, seconds = divmod(seconds, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts) or "0s"


def describe_schedule(schedule: str) -> str:
    """A short English reading of common schedules; the raw text for anything else."""
    text = schedule.strip()
    if text.startswith("@every "):
        return f"every {text[len('@every '):].strip()}"
    if text in _DESCRIPTORS:
        return f"{text}: {_describe_fields(_DESCRIPTORS[text].split()) or text}"
    fields = text.split()
    return (_describe_fields(fields) if len(fields) == 5 else None) or text


def _describe_fields(fields: list[str]) -> str | None:
    minute, hour, dom, month, dow = fields
    if hour == dom == month == "*" and dow in ("*", "?"):
        if minute == "*":
            return "every minute"
        if step := _step(minute):
            return f"every {step} minutes"
        if minute.isdigit():
            return f"at minute {int(minute)} of every hour"
        return None
    if not minute.isdigit():
        return None
    if dom == month == "*" and dow in ("*", "?"):
        if hour.isdigit():
            return f"at {int(hour):02d}:{int(minute):02d} every day"
        if step := _step(hour):
            return f"at minute {int(minute)} of every {step} hours"
        return None
    if not hour.isdigit():
        return None
    at = f"at {int(hour):02d}:{int(minute):02d}"
    if dom == month == "*" and dow.isdigit() and int(dow) <= 7:
        return f"{at} every {_DAY_NAMES[int(dow) % 7]}"
    if dom == month == "*" and dow == "1-5":
        return f"{at} on weekdays"
    if dom.isdigit() and month == "*" and dow in ("*", "?"):
        return f"{at} on day {int(dom)} of every month"
    if dom.isdigit() and month.isdigit() and 1 <= int(month) <= 12 and dow in ("*", "?"):
        return f"{at} on {_MONTH_NAMES[int(month) - 1]} {int(dom)}"
    return None


def _step(field: str) -> int | None:
    if field.startswith("*/") and field[2:].isdigit():
        return int(field[2:])
    return None
