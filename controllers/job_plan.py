"""Pure planning core of the Job controller.

Mirrors kube-controller-manager's ``pkg/controller/job`` (``job_controller.go``:
``syncJob``, ``manageJob``, ``trackJobStatusAndRemoveFinalizers``; ``backoff_utils.go``;
``indexed_job_utils.go``; ``pod_failure_policy.go``; ``success_policy.go``) for
current Kubernetes (JobPodReplacementPolicy, JobManagedBy, JobSuccessPolicy,
JobBackoffLimitPerIndex and PodIndexLabel all on).

Everything is a plain Kubernetes-shaped dict; ``now`` is passed in. No ORM, no
clock, no randomness: the caller names pods from ``generateName``.

Deviations from upstream, all forced by the simulator applying a plan in one
transaction:

* **One-pass counting.** Upstream first lists a finished pod's UID in
  ``status.uncountedTerminatedPods``, removes the pod's tracking finalizer, and only
  then increments ``succeeded``/``failed``. Here a finished pod that still holds the
  finalizer is counted straight into ``succeeded``/``failed`` and named in
  ``JobPlan.remove_finalizers``; the caller strips the finalizer in the same
  transaction, so ``status.uncountedTerminatedPods`` is always ``{}``.
* **Back-off record.** Upstream keeps ``failuresAfterLastSuccess`` /
  ``lastFailureTime`` in memory (``podBackoffStore``). Here the caller persists
  ``JobPlan.backoff_record`` beside the Job and passes it back in.
* **Per-index delayed deletion** (``backoffLimitPerIndex``). Upstream keeps the
  finalizer of an index's last failed pod until it *observes* the replacement pod;
  here the failed pod is counted in the pass that creates its replacement (the new
  pod's ``job-index-failure-count`` annotation already carries the count).
* The back-off early return reports the real active count (kubernetes#139457).
* Suspending clears ``status.startTime`` (upstream 1.36+, feature
  MutableSchedulingDirectivesForSuspendedJobs), so resuming restarts
  ``activeDeadlineSeconds`` instead of failing a Job whose old deadline passed.
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from itertools import islice
from typing import Iterable

from cluster.jsondata import ViewMemo, copy_json
from cluster.timeutil import format_time
from cluster.timeutil import parse_optional_time as parse_time

JOB_TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking"
JOB_COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index"
JOB_INDEX_FAILURE_COUNT = "batch.kubernetes.io/job-index-failure-count"
JOB_INDEX_IGNORED_FAILURE_COUNT = "batch.kubernetes.io/job-index-ignored-failure-count"
COMPLETION_INDEX_ENV_NAME = "JOB_COMPLETION_INDEX"

MAX_POD_CREATE_DELETE_PER_SYNC = 500
MAX_UNCOUNTED_PODS = 500
SLOW_START_INITIAL_BATCH_SIZE = 1
DEFAULT_JOB_POD_FAILURE_BACKOFF = timedelta(seconds=10)
MAX_JOB_POD_FAILURE_BACKOFF = timedelta(minutes=10)
MAX_GENERATED_NAME_LENGTH = 58  # 63 - len(random suffix)
MAX_INT32 = 2**31 - 1
DEFAULT_BACKOFF_LIMIT = 6

COMPLETE = "Complete"
FAILED = "Failed"
SUSPENDED = "Suspended"
FAILURE_TARGET = "FailureTarget"
SUCCESS_CRITERIA_MET = "SuccessCriteriaMet"

REASON_BACKOFF_LIMIT_EXCEEDED = "BackoffLimitExceeded"
REASON_DEADLINE_EXCEEDED = "DeadlineExceeded"
REASON_POD_FAILURE_POLICY = "PodFailurePolicy"
REASON_MAX_FAILED_INDEXES_EXCEEDED = "MaxFailedIndexesExceeded"
REASON_FAILED_INDEXES = "FailedIndexes"
REASON_SUCCESS_POLICY = "SuccessPolicy"
REASON_COMPLETIONS_REACHED = "CompletionsReached"

MESSAGE_BACKOFF_LIMIT_EXCEEDED = "Job has reached the specified backoff limit"
MESSAGE_DEADLINE_EXCEEDED = "Job was active longer than specified deadline"
MESSAGE_MAX_FAILED_INDEXES_EXCEEDED = "Job has exceeded the specified maximal number of failed indexes"
MESSAGE_FAILED_INDEXES = "Job has failed indexes"
MESSAGE_COMPLETIONS_REACHED = "Reached expected number of succeeded pods"

NORMAL = "Normal"
WARNING = "Warning"

Event = tuple[str, str, str]  # (type, reason, message)

_PHASE_ORDINAL = {"Pending": 0, "Unknown": 1, "Running": 2}
_TERMINAL_PHASES = ("Succeeded", "Failed")
_INT_RE = re.compile(r"[+-]?\d+")


# --------------------------------------------------------------------------- plan


@dataclass(frozen=True)
class PodToCreate:
    """One pod to create; ``pod`` is the full manifest (``new_job_pod``)."""

    index: int | None
    pod: dict


@dataclass(frozen=True)
class PodDeletion:
    """One pod to delete (set its deletionTimestamp; the kubelet ends it).

    Every deleted pod is also named in ``JobPlan.remove_finalizers`` (unless the
    500-pods-per-pass counting cap leaves it for the next pass).
    ``count_as_failed`` is True when the pod is deleted because the Job failed: it is
    already counted in this plan's ``status.failed``. Excess-parallelism, suspension,
    duplicate/invalid-index and success-policy deletions are False: never failures.
    """

    name: str
    count_as_failed: bool


@dataclass(frozen=True)
class JobPlan:
    """What one sync decided. Apply it in one transaction:

    1. strip ``batch.kubernetes.io/job-tracking`` from every pod in ``remove_finalizers``;
    2. delete the pods in ``delete``;
    3. create ``create`` (name from ``generateName``), in ``slow_start_batches``,
       stopping at the first error;
    4. write ``status`` if it differs; persist ``backoff_record`` beside the Job;
    5. record ``events`` on the Job (pod SuccessfulCreate/Delete events are the
       caller's, who knows the generated names);
    6. requeue after ``requeue_after`` seconds if set.

    ``create`` and ``delete`` are never both non-empty.
    """

    create: tuple[PodToCreate, ...]
    delete: tuple[PodDeletion, ...]
    remove_finalizers: tuple[str, ...]
    status: dict
    events: tuple[Event, ...]
    requeue_after: float | None
    decisions: tuple[str, ...]
    backoff_record: dict
    finished: bool
    slow_start_batches: tuple[int, ...]


# --------------------------------------------------------------------------- time


def _pods(count: int) -> str:
    return f"{count} pod" if count == 1 else f"{count} pods"


def _seconds(delta: timedelta) -> str:
    value = delta.total_seconds()
    return f"{value:g} s"


# --------------------------------------------------------------------------- accessors


def _meta(obj: dict) -> dict:
    return obj.get("metadata") or {}


def _name(obj: dict) -> str:
    return _meta(obj).get("name", "")


def _spec(obj: dict) -> dict:
    return obj.get("spec") or {}


def _pod_status(pod: dict) -> dict:
    return pod.get("status") or {}


def _phase(pod: dict) -> str:
    return _pod_status(pod).get("phase") or "Pending"


def _is_deleted(pod: dict) -> bool:
    return bool(_meta(pod).get("deletionTimestamp"))


def has_job_tracking_finalizer(pod: dict) -> bool:
    return JOB_TRACKING_FINALIZER in (_meta(pod).get("finalizers") or [])


def is_pod_ready(pod: dict) -> bool:
    return _ready_condition(pod) is not None


def _ready_condition(pod: dict) -> dict | None:
    for condition in _pod_status(pod).get("conditions") or []:
        if condition.get("type") == "Ready" and condition.get("status") == "True":
            return condition
    return None


def is_pod_active(pod: dict) -> bool:
    """controller.FilterActivePods: not finished and not being deleted."""
    return _phase(pod) not in _TERMINAL_PHASES and not _is_deleted(pod)


def is_pod_terminating(pod: dict) -> bool:
    """controller.CountTerminatingPods: being deleted, not finished yet."""
    return _is_deleted(pod) and _phase(pod) not in _TERMINAL_PHASES


def _container_statuses(pod: dict) -> list[dict]:
    status = _pod_status(pod)
    return list(status.get("containerStatuses") or []) + list(status.get("initContainerStatuses") or [])


def _max_container_restarts(pod: dict) -> int:
    return max((c.get("restartCount", 0) for c in _pod_status(pod).get("containerStatuses") or []), default=0)


def _parse_int_annotation(pod: dict, key: str) -> int:
    """parseInt32: 0 when absent, unparsable, negative or beyond int32."""
    value = (_meta(pod).get("annotations") or {}).get(key)
    if value is None or not _INT_RE.fullmatch(value):
        return 0
    number = int(value)
    return number if 0 <= number <= MAX_INT32 else 0


def get_completion_index(pod: dict) -> int | None:
    """The pod's completion index, or None when missing/invalid (unknownCompletionIndex)."""
    value = (_meta(pod).get("annotations") or {}).get(JOB_COMPLETION_INDEX)
    if value is None or not _INT_RE.fullmatch(value):
        return None
    index = int(value)
    return index if index >= 0 else None


def get_finished_time(pod: dict) -> datetime:
    """backoff_utils.getFinishedTime."""
    finished: datetime | None = None
    statuses = _pod_status(pod).get("containerStatuses") or []
    for container in statuses:
        terminated = (container.get("state") or {}).get("terminated")
        moment = parse_time((terminated or {}).get("finishedAt"))
        if moment is None:
            finished = None
            break
        finished = moment if finished is None or moment > finished else finished
    if finished is not None:
        return finished
    for condition in _pod_status(pod).get("conditions") or []:
        if condition.get("type") == "Ready" and condition.get("status") == "False":
            moment = parse_time(condition.get("lastTransitionTime"))
            if moment is not None:
                return moment
    deleted_at = parse_time(_meta(pod).get("deletionTimestamp"))
    if deleted_at is not None:
        return deleted_at - timedelta(seconds=_meta(pod).get("deletionGracePeriodSeconds") or 0)
    return parse_time(_meta(pod).get("creationTimestamp")) or datetime.min.replace(tzinfo=timezone.utc)


def _failure_description(pod: dict) -> str:
    """Why a pod counts as failed, for decisions: 'exit 1', 'deleted', 'Evicted'."""
    for container in _container_statuses(pod):
        terminated = (container.get("state") or {}).get("terminated") or {}
        if terminated.get("exitCode"):
            return f"exit {terminated['exitCode']}"
    if _phase(pod) != "Failed" and _is_deleted(pod):
        return "deleted before finishing"
    return _pod_status(pod).get("reason") or "phase Failed"


# --------------------------------------------------------------------------- job spec


def is_indexed_job(job: dict) -> bool:
    return _spec(job).get("completionMode") == "Indexed"


def has_backoff_limit_per_index(job: dict) -> bool:
    return _spec(job).get("backoffLimitPerIndex") is not None


def is_job_suspended(job: dict) -> bool:
    return bool(_spec(job).get("suspend"))


def only_replace_failed_pods(job: dict) -> bool:
    spec = _spec(job)
    return spec.get("podReplacementPolicy") == "Failed" or spec.get("podFailurePolicy") is not None


def _completions(job: dict) -> int | None:
    return _spec(job).get("completions")


def _parallelism(job: dict) -> int:
    value = _spec(job).get("parallelism")
    return 1 if value is None else value


def _backoff_limit(job: dict) -> int:
    value = _spec(job).get("backoffLimit")
    if value is None:
        return MAX_INT32 if has_backoff_limit_per_index(job) else DEFAULT_BACKOFF_LIMIT
    return value


def _restart_policy(job: dict) -> str:
    return _spec(_spec(job).get("template") or {}).get("restartPolicy", "")


def is_pod_failed(pod: dict, job: dict) -> bool:
    """A phase-Failed pod, or (TerminatingOrFailed) one deleted before succeeding."""
    if _phase(pod) == "Failed":
        return True
    if only_replace_failed_pods(job):
        return False
    return _is_deleted(pod) and _phase(pod) != "Succeeded"


def find_condition(conditions: Iterable[dict], ctype: str) -> dict | None:
    for condition in conditions:
        if condition.get("type") == ctype:
            return condition
    return None


def _condition_true(conditions: Iterable[dict], ctype: str) -> dict | None:
    condition = find_condition(conditions, ctype)
    return condition if condition is not None and condition.get("status") == "True" else None


def is_job_finished(job: dict) -> bool:
    conditions = (job.get("status") or {}).get("conditions") or []
    return bool(_condition_true(conditions, COMPLETE) or _condition_true(conditions, FAILED))


def new_condition(ctype: str, status: str, reason: str, message: str, now: datetime) -> dict:
    stamp = format_time(now)
    return {
        "type": ctype,
        "status": status,
        "reason": reason,
        "message": message,
        "lastProbeTime": stamp,
        "lastTransitionTime": stamp,
    }


def ensure_job_condition_status(
    conditions: list[dict], ctype: str, status: str, reason: str, message: str, now: datetime
) -> bool:
    """Set or update a condition in place; never adds a False condition. Returns changed."""
    condition = find_condition(conditions, ctype)
    if condition is not None:
        if (condition.get("status"), condition.get("reason"), condition.get("message")) == (status, reason, message):
            return False
        condition.clear()
        condition.update(new_condition(ctype, status, reason, message, now))
        return True
    if status == "False":
        return False
    conditions.append(new_condition(ctype, status, reason, message, now))
    return True


# --------------------------------------------------------------------------- pod failure policy


@dataclass(frozen=True)
class PodFailurePolicyMatch:
    action: str | None
    count_failed: bool
    fail_job_message: str | None


_NO_MATCH = PodFailurePolicyMatch(action=None, count_failed=True, fail_job_message=None)


def match_pod_failure_policy(policy: dict | None, pod: dict) -> PodFailurePolicyMatch:
    """pod_failure_policy.matchPodFailurePolicy: first matching rule wins."""
    if policy is None:
        return _NO_MATCH
    meta = _meta(pod)
    for index, rule in enumerate(policy.get("rules") or []):
        action = rule.get("action")
        if rule.get("onExitCodes") is not None:
            container = _match_on_exit_codes(pod, rule["onExitCodes"])
            if container is None:
                continue
            message = (
                f"Container {container.get('name')} for pod {meta.get('namespace', 'default')}/{meta.get('name')} "
                f"failed with exit code {container['state']['terminated']['exitCode']} "
                f"matching {action} rule at index {index}"
            )
        elif rule.get("onPodConditions") is not None:
            condition = _match_on_pod_conditions(pod, rule["onPodConditions"])
            if condition is None:
                continue
            message = (
                f"Pod {meta.get('namespace', 'default')}/{meta.get('name')} has condition "
                f"{condition.get('type')} matching {action} rule at index {index}"
            )
        else:
            continue
        if action == "Ignore":
            return PodFailurePolicyMatch("Ignore", False, None)
        if action == "FailJob":
            return PodFailurePolicyMatch("FailJob", True, message)
        if action in ("Count", "FailIndex"):
            return PodFailurePolicyMatch(action, True, None)
    return _NO_MATCH


def _match_on_exit_codes(pod: dict, requirement: dict) -> dict | None:
    status = _pod_status(pod)
    for statuses in (status.get("containerStatuses") or [], status.get("initContainerStatuses") or []):
        for container in statuses:
            terminated = (container.get("state") or {}).get("terminated")
            if terminated is None:
                continue
            wanted = requirement.get("containerName")
            exit_code = terminated.get("exitCode", 0)
            if (wanted is None or wanted == container.get("name")) and exit_code != 0:
                values = requirement.get("values") or []
                operator = requirement.get("operator")
                if (operator == "In" and exit_code in values) or (operator == "NotIn" and exit_code not in values):
                    return container
    return None


def _match_on_pod_conditions(pod: dict, patterns: list[dict]) -> dict | None:
    for condition in _pod_status(pod).get("conditions") or []:
        for pattern in patterns:
            if condition.get("type") == pattern.get("type") and condition.get("status") == pattern.get(
                "status", "True"
            ):
                return condition
    return None


# --------------------------------------------------------------------------- back-off


def backoff_delay(failures: int) -> timedelta:
    """10 s x 2^(failures-1), capped at 10 minutes; 0 without failures."""
    if failures <= 0:
        return timedelta(0)
    delay = DEFAULT_JOB_POD_FAILURE_BACKOFF
    for _ in range(1, failures):
        delay *= 2
        if delay >= MAX_JOB_POD_FAILURE_BACKOFF:
            return MAX_JOB_POD_FAILURE_BACKOFF
    return delay


def empty_backoff_record() -> dict:
    return {"failuresAfterLastSuccess": 0, "lastFailureTime": None}


def new_backoff_record(record: dict | None, succeeded_pods: list[dict], failed_pods: list[dict]) -> dict:
    """backoff_utils.newBackoffRecord: fold newly counted pods into the record."""
    result = dict(empty_backoff_record(), **(record or {}))
    failed_times = sorted(get_finished_time(p) for p in failed_pods)
    if not succeeded_pods:
        if failed_times:
            result["failuresAfterLastSuccess"] += len(failed_times)
            result["lastFailureTime"] = format_time(failed_times[-1])
        return result
    last_success = max(get_finished_time(p) for p in succeeded_pods)
    after_success = [t for t in failed_times if t > last_success]
    result["failuresAfterLastSuccess"] = len(after_success)
    result["lastFailureTime"] = format_time(after_success[-1]) if after_success else None
    return result


def _remaining_for_failures(failures: int, last_failure: datetime | None, now: datetime) -> timedelta:
    """getRemainingTimeForFailuresCount."""
    if failures == 0 or last_failure is None:
        return timedelta(0)
    delay = backoff_delay(failures)
    elapsed = now - last_failure
    return timedelta(0) if delay < elapsed else delay - elapsed


def backoff_remaining(record: dict, now: datetime) -> timedelta:
    """How long creations must still wait under the Job-wide back-off."""
    return _remaining_for_failures(
        record.get("failuresAfterLastSuccess", 0), parse_time(record.get("lastFailureTime")), now
    )


def _index_absolute_failure_count(pod: dict) -> int:
    return _parse_int_annotation(pod, JOB_INDEX_FAILURE_COUNT) + _parse_int_annotation(
        pod, JOB_INDEX_IGNORED_FAILURE_COUNT
    )


def _remaining_per_index(last_failed_pod: dict | None, now: datetime) -> timedelta:
    """getRemainingTimePerIndex."""
    if last_failed_pod is None:
        return timedelta(0)
    failures = _index_absolute_failure_count(last_failed_pod) + 1
    return _remaining_for_failures(failures, get_finished_time(last_failed_pod), now)


def _new_index_failure_counts(job: dict, replaced: dict | None) -> tuple[int, int]:
    """getNewIndexFailureCounts: annotations for the pod replacing ``replaced``."""
    if replaced is None:
        return 0, 0
    failures = _parse_int_annotation(replaced, JOB_INDEX_FAILURE_COUNT)
    ignored = _parse_int_annotation(replaced, JOB_INDEX_IGNORED_FAILURE_COUNT)
    if match_pod_failure_policy(_spec(job).get("podFailurePolicy"), replaced).count_failed:
        return failures + 1, ignored
    return failures, ignored + 1


# --------------------------------------------------------------------------- indexes


def parse_indexes_from_string(value: str | None, completions: int) -> set[int]:
    """'1,3-5,7' -> {1,3,4,5,7}; indexes >= completions and corrupt parts dropped."""
    result: set[int] = set()
    for part in (value or "").split(","):
        bounds = part.split("-")
        if not all(_INT_RE.fullmatch(b) for b in bounds) or len(bounds) > 2:
            continue
        first, last = int(bounds[0]), int(bounds[-1])
        result.update(range(first, min(last, completions - 1) + 1))
    return result


def format_indexes(indexes: Iterable[int]) -> str:
    """Compressed index list: runs of 3+ as 'a-b', a run of two as 'a,b'."""
    parts: list[str] = []
    ordered = sorted(set(indexes))
    start = 0
    while start < len(ordered):
        end = start
        while end + 1 < len(ordered) and ordered[end + 1] == ordered[end] + 1:
            end += 1
        first, last = ordered[start], ordered[end]
        if last == first:
            parts.append(str(first))
        elif last == first + 1:
            parts.append(f"{first},{last}")
        else:
            parts.append(f"{first}-{last}")
        start = end + 1
    return ",".join(parts)


def first_pending_indexes(count: int, completions: int, non_pending: set[int]) -> list[int]:
    """The ``count`` lowest indexes below ``completions`` not in ``non_pending``."""
    return list(islice((i for i in range(completions) if i not in non_pending), count))


def _index_sort_key(pod: dict) -> int:
    index = get_completion_index(pod)
    return -1 if index is None else index


def _indexes_of(pods: Iterable[dict]) -> set[int]:
    return {ix for ix in (get_completion_index(p) for p in pods) if ix is not None}


def pod_generate_name_with_index(job_name: str, index: int) -> str:
    suffix = f"-{index}-"
    prefix = job_name + suffix
    if len(prefix) > MAX_GENERATED_NAME_LENGTH:
        prefix = prefix[: MAX_GENERATED_NAME_LENGTH - len(suffix)] + suffix
    return prefix


# --------------------------------------------------------------------------- success policy


def match_success_policy(policy: dict | None, completions: int, succeeded: set[int]) -> str | None:
    """success_policy.matchSuccessPolicy: 'Matched rules at index <i>' or None."""
    if policy is None or not succeeded:
        return None
    for index, rule in enumerate(policy.get("rules") or []):
        count = rule.get("succeededCount")
        if rule.get("succeededIndexes") is not None:
            required = parse_indexes_from_string(rule["succeededIndexes"], completions)
            if not required:
                continue
            contained = len(required & succeeded)
            if contained == len(required) or (count is not None and contained >= count):
                return f"Matched rules at index {index}"
        elif count is not None and len(succeeded) >= count:
            return f"Matched rules at index {index}"
    return None


# --------------------------------------------------------------------------- pod removal order


def _after_or_zero(first: datetime | None, second: datetime | None) -> bool:
    if first is None or second is None:
        return first is None
    return first > second


def _compare_active_pods(a: dict, b: dict) -> int:
    """controller.ActivePods.Less (the pod to delete first sorts first); ties by name."""
    node_a, node_b = _spec(a).get("nodeName") or "", _spec(b).get("nodeName") or ""
    if node_a != node_b and (not node_a or not node_b):
        return -1 if not node_a else 1
    phase_a, phase_b = _PHASE_ORDINAL.get(_phase(a), 0), _PHASE_ORDINAL.get(_phase(b), 0)
    if phase_a != phase_b:
        return -1 if phase_a < phase_b else 1
    ready_a, ready_b = is_pod_ready(a), is_pod_ready(b)
    if ready_a != ready_b:
        return -1 if not ready_a else 1
    if ready_a and ready_b:
        time_a = parse_time(_ready_condition(a).get("lastTransitionTime"))
        time_b = parse_time(_ready_condition(b).get("lastTransitionTime"))
        if time_a != time_b:
            return -1 if _after_or_zero(time_a, time_b) else 1
    restarts_a, restarts_b = _max_container_restarts(a), _max_container_restarts(b)
    if restarts_a != restarts_b:
        return -1 if restarts_a > restarts_b else 1
    created_a, created_b = parse_time(_meta(a).get("creationTimestamp")), parse_time(_meta(b).get("creationTimestamp"))
    if created_a != created_b:
        return -1 if _after_or_zero(created_a, created_b) else 1
    return (_name(a) > _name(b)) - (_name(a) < _name(b))


def sort_active_pods(pods: Iterable[dict]) -> list[dict]:
    return sorted(pods, key=functools.cmp_to_key(_compare_active_pods))


def active_pods_for_removal(job: dict, active_pods: list[dict], rm_at_least: int) -> list[dict]:
    """activePodsForRemoval: Indexed duplicates/invalid indexes first, then the cheapest pods."""
    remove: list[dict] = []
    left = list(active_pods)
    if is_indexed_job(job):
        remove, left = _duplicated_index_pods_for_removal(active_pods, _completions(job) or 0)
    if len(remove) < rm_at_least:
        remove += sort_active_pods(left)[: rm_at_least - len(remove)]
    return remove


def _duplicated_index_pods_for_removal(pods: list[dict], completions: int) -> tuple[list[dict], list[dict]]:
    """appendDuplicatedIndexPodsForRemoval: keep the best pod of each valid index."""
    remove: list[dict] = []
    by_index: dict[int, list[dict]] = {}
    for pod in pods:
        index = get_completion_index(pod)
        if index is None or index >= completions:
            remove.append(pod)
        else:
            by_index.setdefault(index, []).append(pod)
    left: list[dict] = []
    for index in sorted(by_index):
        ordered = sort_active_pods(by_index[index])
        remove += ordered[:-1]
        left.append(ordered[-1])
    return remove, left


# --------------------------------------------------------------------------- pod template


def new_job_pod(
    job: dict, index: int | None, *, index_failure_count: int = 0, index_ignored_failure_count: int = 0
) -> dict:
    """The pod manifest the Job controller creates (podControl.CreatePodsWithGenerateName).

    The caller turns ``metadata.generateName`` into a name.
    """
    job_meta = _meta(job)
    job_name = job_meta.get("name", "")
    template = copy_json(_spec(job).get("template") or {})
    template_meta = template.get("metadata") or {}
    labels = dict(template_meta.get("labels") or {})
    annotations = dict(template_meta.get("annotations") or {})
    finalizers = list(template_meta.get("finalizers") or [])
    if JOB_TRACKING_FINALIZER not in finalizers:
        finalizers.append(JOB_TRACKING_FINALIZER)
    pod_spec = template.get("spec") or {}
    generate_name = f"{job_name}-"
    if index is not None:
        annotations[JOB_COMPLETION_INDEX] = str(index)
        labels[JOB_COMPLETION_INDEX] = str(index)
        if has_backoff_limit_per_index(job):
            annotations[JOB_INDEX_FAILURE_COUNT] = str(index_failure_count)
            if index_ignored_failure_count > 0:
                annotations[JOB_INDEX_IGNORED_FAILURE_COUNT] = str(index_ignored_failure_count)
        pod_spec["hostname"] = f"{job_name}-{index}"
        _add_completion_index_env(pod_spec)
        generate_name = pod_generate_name_with_index(job_name, index)
    metadata = {
        "generateName": generate_name,
        "labels": labels,
        "annotations": annotations,
        "finalizers": finalizers,
        "ownerReferences": [
            {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "name": job_name,
                "uid": job_meta.get("uid", ""),
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ],
    }
    if job_meta.get("namespace"):
        metadata["namespace"] = job_meta["namespace"]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": pod_spec, "status": {"phase": "Pending"}}


def _add_completion_index_env(pod_spec: dict) -> None:
    """addCompletionIndexEnvVariables (PodIndexLabel on: read from the label)."""
    field_path = f"metadata.labels['{JOB_COMPLETION_INDEX}']"
    for key in ("initContainers", "containers"):
        for container in pod_spec.get(key) or []:
            env = container.setdefault("env", [])
            if not any(var.get("name") == COMPLETION_INDEX_ENV_NAME for var in env):
                env.append({"name": COMPLETION_INDEX_ENV_NAME, "valueFrom": {"fieldRef": {"fieldPath": field_path}}})


def slow_start_batches(count: int) -> tuple[int, ...]:
    """Batch sizes 1, 2, 4, ... summing to ``count`` (the caller stops at the first error)."""
    batches: list[int] = []
    size = min(count, SLOW_START_INITIAL_BATCH_SIZE)
    while count > 0:
        batches.append(size)
        count -= size
        size = min(2 * size, count)
    return tuple(batches)


# --------------------------------------------------------------------------- plan_job


def plan_job(job: dict, pods: list[dict], *, now: datetime, backoff_record: dict | None = None) -> JobPlan:
    """One sync of one Job (syncJob): what to create, delete, count and report.

    ``pods`` are the pods this Job controls; ``backoff_record`` is the record returned
    by the previous plan (None for a new Job).
    """
    if is_job_finished(job):
        return JobPlan(
            create=(),
            delete=(),
            remove_finalizers=(),
            status=copy_json(job.get("status") or {}),
            events=(),
            requeue_after=None,
            decisions=("job already finished: nothing to do",),
            backoff_record=empty_backoff_record(),
            finished=True,
            slow_start_batches=(),
        )
    return _JobSync(job, pods, now, backoff_record).run()


class _JobSync:
    """State of one syncJob pass (upstream's syncJobCtx plus the plan being built)."""

    def __init__(self, job: dict, pods: list[dict], now: datetime, record: dict | None) -> None:
        self.job = job
        self.spec = _spec(job)
        self.now = now
        self.record_in = dict(empty_backoff_record(), **(record or {}))
        self.pods = sorted(pods, key=_name)
        self.status = copy_json(job.get("status") or {})
        self.conditions: list[dict] = self.status.get("conditions") or []
        self.indexed = is_indexed_job(job)
        self.per_index = self.indexed and has_backoff_limit_per_index(job)
        self.completions = _completions(job)
        self.policy = self.spec.get("podFailurePolicy")

        self.active_pods = [p for p in self.pods if is_pod_active(p)]
        self.active = len(self.active_pods)
        self.ready = sum(1 for p in self.active_pods if is_pod_ready(p))
        self.terminating = sum(1 for p in self.pods if is_pod_terminating(p))
        self.new_succeeded = self._valid_pods_with_finalizer(lambda p: _phase(p) == "Succeeded")
        self.new_failed = self._valid_pods_with_finalizer(lambda p: is_pod_failed(p, job))
        self.succeeded = self.status.get("succeeded", 0) + len(self.new_succeeded)
        non_ignored = [p for p in self.new_failed if match_pod_failure_policy(self.policy, p).count_failed]
        self.failed = self.status.get("failed", 0) + len(non_ignored)

        self.prev_succeeded_indexes: set[int] = set()
        self.succeeded_indexes: set[int] = set()
        self.failed_indexes: set[int] | None = None
        self.delayed_per_index: dict[int, dict] = {}
        self.created_indexes: set[int] = set()

        self.create: list[PodToCreate] = []
        self.delete: list[PodDeletion] = []
        self.remove_finalizers: dict[str, None] = {}
        self.events: list[Event] = []
        self.observed: list[str] = []  # what happened to pods, listed before the decisions
        self.decisions: list[str] = []
        self.requeue: list[timedelta] = []
        self.backoff_gate: str | None = None  # "next pod in ..." when back-off holds creations

    # ---------------------------------------------------------------- observe

    def _valid_pods_with_finalizer(self, keep) -> list[dict]:
        """getValidPodsWithFilter: uncounted pods (finalizer present), valid index if Indexed."""
        result = []
        for pod in self.pods:
            if not has_job_tracking_finalizer(pod):
                continue
            if self.indexed and not self._valid_index(pod):
                continue
            if keep(pod):
                result.append(pod)
        return result

    def _valid_index(self, pod: dict) -> bool:
        index = get_completion_index(pod)
        return index is not None and index < (self.completions or 0)

    # ---------------------------------------------------------------- sync

    def run(self) -> JobPlan:
        if self.status.get("startTime") is None and not is_job_suspended(self.job):
            self.status["startTime"] = format_time(self.now)
            self.observed.append("job started: startTime set")
        gating_record = new_backoff_record(self.record_in, self.new_succeeded, self.new_failed)

        finished = self._finished_condition()
        if self.indexed:
            finished = self._observe_indexes(finished)

        if finished is not None:
            self._delete_active_pods_when_finished(finished)
        else:
            manage_called = not _meta(self.job).get("deletionTimestamp")
            if manage_called:
                self._manage_job(gating_record)
            else:
                self.decisions.append("job is being deleted: no pods are created or deleted, finalizers are released")
            if self._complete():
                finished = new_condition(
                    SUCCESS_CRITERIA_MET, "True", REASON_COMPLETIONS_REACHED, MESSAGE_COMPLETIONS_REACHED, self.now
                )
                self.decisions.append(self._completion_sentence())
            elif manage_called:
                self._update_suspended_condition()

        record = self._track_job_status_and_remove_finalizers(finished)
        if self.conditions:
            self.status["conditions"] = self.conditions
        return JobPlan(
            create=tuple(self.create),
            delete=tuple(self.delete),
            remove_finalizers=tuple(self.remove_finalizers),
            status=self.status,
            events=tuple(self.events),
            requeue_after=min(self.requeue).total_seconds() if self.requeue else None,
            decisions=tuple(self.observed + self.decisions),
            backoff_record=record,
            finished=is_job_finished({"status": self.status}),
            slow_start_batches=slow_start_batches(len(self.create)),
        )

    def _finished_condition(self) -> dict | None:
        """The interim condition, evaluated in upstream's order (first match wins)."""
        met = _condition_true(self.conditions, SUCCESS_CRITERIA_MET)
        if met is not None:
            return met
        target = _condition_true(self.conditions, FAILURE_TARGET)
        if target is not None:
            return new_condition(FAILED, "True", target["reason"], target["message"], self.now)
        message = self._fail_job_message()
        if message is not None:
            self.decisions.append(f"podFailurePolicy: {message}: job fails")
            return new_condition(FAILURE_TARGET, "True", REASON_POD_FAILURE_POLICY, message, self.now)
        limit = _backoff_limit(self.job)
        if self.failed > limit:
            self.decisions.append(f"failures {self.failed} > backoffLimit {limit}: job fails")
            return self._failure(REASON_BACKOFF_LIMIT_EXCEEDED, MESSAGE_BACKOFF_LIMIT_EXCEEDED)
        restarts = self._restarts_of_running_pods()
        if restarts is not None and (restarts > 0 if limit == 0 else restarts >= limit):
            self.decisions.append(
                f"restartPolicy OnFailure: {restarts} container restarts reach backoffLimit {limit}: job fails"
            )
            return self._failure(REASON_BACKOFF_LIMIT_EXCEEDED, MESSAGE_BACKOFF_LIMIT_EXCEEDED)
        deadline = self.spec.get("activeDeadlineSeconds")
        if deadline is not None and not is_job_suspended(self.job):
            left = timedelta(seconds=deadline) - (self.now - parse_time(self.status["startTime"]))
            if left <= timedelta(0):
                self.decisions.append(f"active longer than activeDeadlineSeconds {deadline}: job fails")
                return self._failure(REASON_DEADLINE_EXCEEDED, MESSAGE_DEADLINE_EXCEEDED)
            self.requeue.append(left)
            self.decisions.append(f"activeDeadlineSeconds {deadline}: deadline in {_seconds(left)}")
        return None

    def _failure(self, reason: str, message: str) -> dict:
        return new_condition(FAILURE_TARGET, "True", reason, message, self.now)

    def _fail_job_message(self) -> str | None:
        """getFailJobMessage: the first failed pod matching a FailJob rule."""
        if self.policy is None:
            return None
        for pod in self.pods:
            if is_pod_failed(pod, self.job):
                message = match_pod_failure_policy(self.policy, pod).fail_job_message
                if message is not None:
                    return message
        return None

    def _restarts_of_running_pods(self) -> int | None:
        """pastBackoffLimitOnFailure's sum; None unless restartPolicy is OnFailure."""
        if _restart_policy(self.job) != "OnFailure":
            return None
        return sum(
            container.get("restartCount", 0)
            for pod in self.pods
            if _phase(pod) in ("Running", "Pending")
            for container in _container_statuses(pod)
        )

    def _observe_indexes(self, finished: dict | None) -> dict | None:
        """calculateSucceededIndexes / calculateFailedIndexes and the index-based outcomes."""
        completions = self.completions or 0
        self.prev_succeeded_indexes = parse_indexes_from_string(self.status.get("completedIndexes"), completions)
        self.succeeded_indexes = self.prev_succeeded_indexes | {
            get_completion_index(p) for p in self.new_succeeded
        }
        self.succeeded = len(self.succeeded_indexes)
        if self.per_index:
            self.failed_indexes = parse_indexes_from_string(self.status.get("failedIndexes"), completions) | {
                get_completion_index(p) for p in self.pods if self._is_index_failed(p)
            }
            if finished is None:
                finished = self._failed_indexes_outcome()
            self.delayed_per_index = self._pods_with_delayed_deletion_per_index()
        if finished is None:
            message = match_success_policy(self.spec.get("successPolicy"), completions, self.succeeded_indexes)
            if message is not None:
                succeeded = format_indexes(self.succeeded_indexes)
                self.decisions.append(f"successPolicy: {message} (succeeded indexes {succeeded})")
                finished = new_condition(SUCCESS_CRITERIA_MET, "True", REASON_SUCCESS_POLICY, message, self.now)
        return finished

    def _is_index_failed(self, pod: dict) -> bool:
        """isIndexFailed, for an uncounted pod with a valid index."""
        if not has_job_tracking_finalizer(pod) or not self._valid_index(pod) or not is_pod_failed(pod, self.job):
            return False
        match = match_pod_failure_policy(self.policy, pod)
        if match.action == "FailIndex":
            return True
        limit = self.spec["backoffLimitPerIndex"]
        return match.count_failed and _parse_int_annotation(pod, JOB_INDEX_FAILURE_COUNT) >= limit

    def _failed_indexes_outcome(self) -> dict | None:
        failed = self.failed_indexes or set()
        max_failed = self.spec.get("maxFailedIndexes")
        if max_failed is not None and len(failed) > max_failed:
            self.decisions.append(f"{len(failed)} failed indexes > maxFailedIndexes {max_failed}: job fails")
            return self._failure(REASON_MAX_FAILED_INDEXES_EXCEEDED, MESSAGE_MAX_FAILED_INDEXES_EXCEEDED)
        if failed and len(failed) + len(self.succeeded_indexes) >= (self.completions or 0):
            self.decisions.append(
                f"every index finished and indexes {format_indexes(failed)} failed: job fails"
            )
            return self._failure(REASON_FAILED_INDEXES, MESSAGE_FAILED_INDEXES)
        return None

    def _pods_with_delayed_deletion_per_index(self) -> dict[int, dict]:
        """getPodsWithDelayedDeletionPerIndex: the last failed pod of each index awaiting a replacement."""
        busy = self.succeeded_indexes | (self.failed_indexes or set()) | _indexes_of(self.active_pods)
        delayed: dict[int, dict] = {}
        for pod in self._valid_pods_with_finalizer(lambda p: is_pod_failed(p, self.job)):
            index = get_completion_index(pod)
            if index in busy:
                continue
            last = delayed.get(index)
            if last is None or (
                _index_absolute_failure_count(last) <= _index_absolute_failure_count(pod)
                and not get_finished_time(pod) < get_finished_time(last)
            ):
                delayed[index] = pod
        return delayed

    def _complete(self) -> bool:
        if self.completions is None:
            return self.succeeded > 0 and self.active == 0
        return self.succeeded >= self.completions and self.active == 0

    def _completion_sentence(self) -> str:
        if self.completions is None:
            return f"{self.succeeded} pods succeeded and none is running: job complete"
        return f"{self.succeeded} of {self.completions} completions succeeded: job complete"

    # ---------------------------------------------------------------- act

    def _delete_active_pods_when_finished(self, finished: dict) -> None:
        """deleteActivePods: once the Job fails (or meets its successPolicy) its running pods go.

        A failing Job's pods are counted as failed in this same pass.
        """
        failing = finished["type"] != SUCCESS_CRITERIA_MET
        if not self.active_pods:
            return
        for pod in self.active_pods:  # their finalizers go when they are counted below
            self.delete.append(PodDeletion(_name(pod), count_as_failed=failing))
        names = ", ".join(_name(p) for p in self.active_pods)
        why = "counted as failed" if failing else "not counted as failures"
        self.decisions.append(
            f"deleting {_pods(len(self.active_pods))} still running ({names}): the job is finishing ({why})"
        )
        self.terminating += len(self.active_pods)
        self.ready = 0
        self.active = 0

    def _delete_job_pods(self, pods: list[dict], reason: str) -> None:
        """deleteJobPods: remove the finalizer first, so the deletion is not a failure."""
        for pod in pods:
            self.delete.append(PodDeletion(_name(pod), count_as_failed=False))
            self.remove_finalizers[_name(pod)] = None
        names = ", ".join(_name(p) for p in pods)
        self.decisions.append(f"deleting {_pods(len(pods))} ({names}): {reason} (not counted as failures)")
        self.active -= len(pods)
        self.terminating += len(pods)
        self.ready -= sum(1 for p in pods if is_pod_ready(p))

    def _manage_job(self, gating_record: dict) -> None:
        active = self.active
        if is_job_suspended(self.job):
            if active:
                self._delete_job_pods(active_pods_for_removal(self.job, self.active_pods, active), "job is suspended")
            else:
                self.decisions.append("job is suspended: no pods run")
            return
        want_active = self._want_active()
        to_delete = active_pods_for_removal(self.job, self.active_pods, max(active - want_active, 0))
        to_delete = to_delete[:MAX_POD_CREATE_DELETE_PER_SYNC]
        if to_delete:
            self._delete_job_pods(to_delete, self._excess_reason(want_active))
            return
        terminating = self.terminating if only_replace_failed_pods(self.job) else 0
        diff = want_active - terminating - active
        if diff <= 0:
            self.decisions.append(self._steady_sentence(want_active, terminating))
            return
        if not self.per_index:
            remaining = backoff_remaining(gating_record, self.now)
            if remaining > timedelta(0):
                self._defer_creation(gating_record, remaining)
                return
        diff = min(diff, MAX_POD_CREATE_DELETE_PER_SYNC)
        if not self.indexed:
            self._create_pods([None] * diff, want_active)
            return
        indexes = first_pending_indexes(diff, self.completions or 0, self._non_pending_indexes())
        if not indexes:
            self.decisions.append(self._steady_sentence(want_active, terminating))
            return
        if self.per_index:
            indexes = self._indexes_out_of_backoff(indexes)
        if indexes:
            self._create_pods(indexes, want_active)

    def _want_active(self) -> int:
        parallelism = _parallelism(self.job)
        if self.completions is None:
            return self.active if self.succeeded > 0 else parallelism
        return max(0, min(self.completions - self.succeeded, parallelism))

    def _excess_reason(self, want_active: int) -> str:
        if self.indexed and self.active <= want_active:
            return "duplicate or invalid completion indexes"
        return f"{self.active} active but only {want_active} wanted"

    def _steady_sentence(self, want_active: int, terminating: int) -> str:
        sentence = f"{self.active} active of {want_active} wanted"
        if terminating:
            sentence += f", waiting for {_pods(terminating)} still terminating (podReplacementPolicy Failed)"
        return sentence + ": nothing to create or delete"

    def _defer_creation(self, record: dict, remaining: timedelta) -> None:
        failures = record["failuresAfterLastSuccess"]
        self.requeue.append(remaining)
        self.backoff_gate = f"next pod in {_seconds(remaining)}"
        self.decisions.append(
            f"back-off {_seconds(backoff_delay(failures))} after {failures} consecutive failures: {self.backoff_gate}"
        )

    def _non_pending_indexes(self) -> set[int]:
        busy = self.succeeded_indexes | _indexes_of(self.active_pods)
        if only_replace_failed_pods(self.job):
            busy |= _indexes_of(p for p in self.pods if is_pod_terminating(p))
        return busy | (self.failed_indexes or set())

    def _indexes_out_of_backoff(self, indexes: list[int]) -> list[int]:
        """getPodCreationInfoForIndependentIndexes: only indexes whose own back-off is over."""
        ready: list[int] = []
        waits: list[tuple[timedelta, int]] = []
        for index in indexes:
            remaining = _remaining_per_index(self.delayed_per_index.get(index), self.now)
            if remaining > timedelta(0):
                waits.append((remaining, index))
            else:
                ready.append(index)
        if waits:
            remaining, index = min(waits)
            self.requeue.append(remaining)
            self.decisions.append(f"index {index} is in back-off: its next pod in {_seconds(remaining)}")
        return ready

    def _create_pods(self, indexes: list[int | None], want_active: int) -> None:
        for index in indexes:
            replaced = self.delayed_per_index.get(index) if index is not None else None
            failures, ignored = _new_index_failure_counts(self.job, replaced) if self.per_index else (0, 0)
            pod = new_job_pod(self.job, index, index_failure_count=failures, index_ignored_failure_count=ignored)
            self.create.append(PodToCreate(index=index, pod=pod))
            if index is not None:
                self.created_indexes.add(index)
        sentence = f"creating {_pods(len(indexes))}: {self.active} active of {want_active} wanted"
        if self.indexed:
            sentence += f" (indexes {format_indexes(i for i in indexes if i is not None)})"
        self.decisions.append(sentence)
        self.active += len(indexes)

    def _update_suspended_condition(self) -> None:
        if is_job_suspended(self.job):
            changed = ensure_job_condition_status(
                self.conditions, SUSPENDED, "True", "JobSuspended", "Job suspended", self.now
            )
            if changed:
                self.events.append((NORMAL, "Suspended", "Job suspended"))
                self.status.pop("startTime", None)
                self.decisions.append("job suspended: Suspended condition set, startTime cleared")
        elif ensure_job_condition_status(self.conditions, SUSPENDED, "False", "JobResumed", "Job resumed", self.now):
            self.events.append((NORMAL, "Resumed", "Job resumed"))
            self.status["startTime"] = format_time(self.now)
            self.decisions.append("job resumed: startTime reset, so activeDeadlineSeconds counts from now")

    # ---------------------------------------------------------------- count

    def _can_remove_finalizer(self, pod: dict, consider_failed: bool, finished: dict | None) -> bool:
        if _meta(self.job).get("deletionTimestamp") or finished is not None or _phase(pod) == "Succeeded":
            return True
        if not consider_failed:
            return False
        index = get_completion_index(pod)
        delayed = self.delayed_per_index.get(index) if index is not None else None
        return delayed is not pod or index in self.created_indexes

    def _track_job_status_and_remove_finalizers(self, finished: dict | None) -> dict:
        """Count finished pods (removing their finalizers), then set conditions."""
        failing = finished is not None and finished["type"] != SUCCESS_CRITERIA_MET
        order = sorted(self.pods, key=_index_sort_key) if self.indexed else self.pods
        counted_succeeded: list[dict] = []
        counted_failed: list[dict] = []
        last_failure_line: int | None = None
        new_indexes: set[int] = set()
        succeeded_delta = failed_delta = 0
        reached_max = False
        for pod in order:
            if not has_job_tracking_finalizer(pod):
                continue
            consider_failed = is_pod_failed(pod, self.job)
            if not self._can_remove_finalizer(pod, consider_failed, finished):
                if consider_failed:
                    self.observed.append(
                        f"pod {_name(pod)} failed ({_failure_description(pod)}): "
                        f"kept uncounted until index {get_completion_index(pod)} is replaced"
                    )
                continue
            self.remove_finalizers[_name(pod)] = None
            valid = not self.indexed or self._valid_index(pod)
            if _phase(pod) == "Succeeded":
                if valid:
                    counted_succeeded.append(pod)
                    index = get_completion_index(pod)
                    if not self.indexed:
                        succeeded_delta += 1
                    elif index not in self.prev_succeeded_indexes:
                        new_indexes.add(index)
                    self.observed.append(f"pod {_name(pod)} succeeded")
            elif (consider_failed or failing) and valid:
                match = match_pod_failure_policy(self.policy, pod)
                if match.count_failed:
                    failed_delta += 1
                if consider_failed:
                    counted_failed.append(pod)
                    self.observed.append(self._failure_sentence(pod, match))
                    last_failure_line = len(self.observed) - 1
            if len(new_indexes) + succeeded_delta + failed_delta >= MAX_UNCOUNTED_PODS:
                reached_max = True
                self.requeue.append(timedelta(0))
                self.decisions.append(f"counted {MAX_UNCOUNTED_PODS} finished pods (the per-pass cap): more next pass")
                break

        self._write_counters(new_indexes, succeeded_delta, failed_delta)
        if last_failure_line is not None and not self.per_index:
            self._append_failure_progress(last_failure_line)
        finished = self._add_interim_condition(finished)
        if finished is not None and not reached_max:
            self._enact_job_finished(finished)
        return new_backoff_record(self.record_in, counted_succeeded, counted_failed)

    def _failure_sentence(self, pod: dict, match: PodFailurePolicyMatch) -> str:
        sentence = f"pod {_name(pod)} failed ({_failure_description(pod)})"
        if match.action == "Ignore":
            sentence += ": ignored by podFailurePolicy, not counted"
        elif match.action is not None:
            sentence += f" (podFailurePolicy {match.action})"
        if self.per_index:
            index = get_completion_index(pod)
            outcome = "has failed" if index in (self.failed_indexes or set()) else "will be retried"
            sentence += f"; index {index} {outcome}"
        return sentence

    def _write_counters(self, new_indexes: set[int], succeeded_delta: int, failed_delta: int) -> None:
        status = self.status
        status["active"] = self.active
        status["ready"] = self.ready
        status["terminating"] = self.terminating
        status["failed"] = status.get("failed", 0) + failed_delta
        if self.indexed:
            completed = self.prev_succeeded_indexes | new_indexes
            status["succeeded"] = len(completed)
            if completed:
                status["completedIndexes"] = format_indexes(completed)
            else:
                status.pop("completedIndexes", None)
            if self.per_index:
                status["failedIndexes"] = format_indexes(self.failed_indexes or set())
        else:
            status["succeeded"] = status.get("succeeded", 0) + succeeded_delta
        status["uncountedTerminatedPods"] = {}

    def _append_failure_progress(self, line: int) -> None:
        """'pod x failed (exit 1); failures 2 of backoffLimit 4; next pod in 20 s'."""
        progress = f"; failures {self.failed} of backoffLimit {_backoff_limit(self.job)}"
        if self.backoff_gate is not None:
            progress += f"; {self.backoff_gate}"
        self.observed[line] += progress

    def _add_interim_condition(self, finished: dict | None) -> dict | None:
        """FailureTarget / SuccessCriteriaMet first; returns the terminal condition to come."""
        if finished is None:
            return None
        if finished["type"] == FAILURE_TARGET:
            ensure_job_condition_status(
                self.conditions, FAILURE_TARGET, "True", finished["reason"], finished["message"], self.now
            )
            return new_condition(FAILED, "True", finished["reason"], finished["message"], self.now)
        if finished["type"] == SUCCESS_CRITERIA_MET:
            if _condition_true(self.conditions, SUCCESS_CRITERIA_MET) is None:
                ensure_job_condition_status(
                    self.conditions, SUCCESS_CRITERIA_MET, "True", finished["reason"], finished["message"], self.now
                )
            return new_condition(COMPLETE, "True", finished["reason"], finished["message"], self.now)
        return finished

    def _enact_job_finished(self, finished: dict) -> None:
        if self.terminating > 0:
            self.decisions.append(
                f"job will be marked {finished['type']} once its {self.terminating} terminating pods are gone"
            )
            return
        ensure_job_condition_status(
            self.conditions, finished["type"], "True", finished["reason"], finished["message"], self.now
        )
        if finished["type"] == COMPLETE:
            self.status["completionTime"] = format_time(self.now)
            if self.completions is not None and self.status["succeeded"] > self.completions:
                self.events.append(
                    (WARNING, "TooManySucceededPods", "Too many succeeded pods running after completion count reached")
                )
            self.events.append((NORMAL, "Completed", "Job completed"))
            self.decisions.append(f"job Complete ({finished['reason']})")
        else:
            self.events.append((WARNING, finished["reason"], finished["message"]))
            self.decisions.append(f"job Failed ({finished['reason']}: {finished['message']})")


# --------------------------------------------------------------------------- attempts history


def job_attempts(job: dict, pods: list[dict], previous_attempts: Iterable[dict] = ()) -> list[dict]:
    """Per-pod attempt history for the dashboard; deleted pods stay (``gone: True``).

    Each entry: pod, index, node, phase, created, started, finished, exitCode, reason,
    restarts, backoffSeconds (the back-off that preceded this pod's creation), gone.
    This is the history's definition; the Job controller keeps it a row per attempt
    (`controllers.job.record_attempts`, writing only what changed), tested equal to this.
    """
    attempts = {a["pod"]: dict(a) for a in previous_attempts}
    present = {_name(p) for p in pods}
    for name, attempt in attempts.items():
        if name not in present:
            attempt["gone"] = True
    new: list[dict] = []
    for pod in sorted(pods, key=attempt_order):
        fresh = attempt_of(pod)
        known = attempts.get(fresh["pod"])
        if known is None:
            attempts[fresh["pod"]] = fresh
            new.append(fresh)
        else:
            known.update(fresh)
    set_backoffs(job, attempts.values(), new)
    return sorted(attempts.values(), key=lambda a: (a.get("created") or "", a["pod"]))


def attempt_order(pod: dict) -> tuple[str, str]:
    """The order in which new attempts join the history: by creation, then name."""
    return _meta(pod).get("creationTimestamp") or "", _name(pod)


_ATTEMPTS = ViewMemo()


def attempt_of(pod: dict, *, shared: bool = False) -> dict:
    """A pod's attempt entry, without backoffSeconds (`set_backoffs` adds it to new ones).
    ``shared``: the pod is a shared read-only view, so its entry is remembered (a copy is given)."""
    if not shared:
        return _attempt_from_pod(pod)
    parts = (pod.get("metadata"), pod.get("spec"), pod.get("status"))
    return dict(_ATTEMPTS.get(parts, lambda: _attempt_from_pod(pod)))


def set_backoffs(job: dict, attempts: Iterable[dict], new: list[dict]) -> None:
    """Give each new attempt the back-off that preceded it. ``attempts``: the whole history, in
    order (the earlier attempts, then the new ones, as `job_attempts` builds it)."""
    if new:
        history = _FinishedAttempts(attempts, new, has_backoff_limit_per_index(job))
        for position, fresh in enumerate(new):
            fresh["backoffSeconds"] = history.backoff_before(fresh, position)


class _FinishedAttempts:
    """The finished attempts in order of their finish (per index with backoffLimitPerIndex), to
    find the back-off that gated a new attempt: the failures after the last success that
    finished before it was created. A new attempt sees the new attempts created before it."""

    def __init__(self, attempts: Iterable[dict], new: list[dict], per_index: bool):
        self.per_index = per_index
        self.position = {id(a): i for i, a in enumerate(new)}
        finished: dict[object, list[tuple[datetime, int, dict]]] = {}
        for order, a in enumerate(attempts):
            at = parse_time(a.get("finished"))
            if at is not None:
                finished.setdefault(a.get("index") if per_index else None, []).append((at, order, a))
        self.finished = {k: sorted(v, key=lambda e: e[:2]) for k, v in finished.items()}
        self.times = {k: [e[0] for e in v] for k, v in self.finished.items()}

    def backoff_before(self, attempt: dict, position: int) -> float:
        created = parse_time(attempt.get("created"))
        if created is None:
            return 0.0
        key = attempt.get("index") if self.per_index else None
        entries = self.finished.get(key, [])
        failures = 0
        for i in range(bisect.bisect_right(self.times.get(key, []), created) - 1, -1, -1):
            previous = entries[i][2]
            if self.position.get(id(previous), -1) >= position:
                continue  # created after this one (or is this one)
            if previous.get("phase") == "Succeeded":
                break
            failures += 1
        return backoff_delay(failures).total_seconds()


def _attempt_from_pod(pod: dict) -> dict:
    status = _pod_status(pod)
    terminated = [
        (c.get("state") or {}).get("terminated") for c in status.get("containerStatuses") or []
    ]
    terminated = [t for t in terminated if t]
    failing = [t for t in terminated if t.get("exitCode")]
    chosen = (failing or terminated or [None])[0]
    finished = get_finished_time(pod) if _phase(pod) in _TERMINAL_PHASES else None
    return {
        "pod": _name(pod),
        "index": get_completion_index(pod),
        "node": _spec(pod).get("nodeName"),
        "phase": _phase(pod),
        "created": _meta(pod).get("creationTimestamp"),
        "started": status.get("startTime"),
        "finished": format_time(finished) if finished else None,
        "exitCode": chosen.get("exitCode") if chosen else None,
        "reason": (chosen or {}).get("reason") or status.get("reason"),
        "restarts": sum(c.get("restartCount", 0) for c in _container_statuses(pod)),
        "gone": False,
    }


