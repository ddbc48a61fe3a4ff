"""batch/v1 validation: Job and CronJob (`pkg/apis/batch/validation`)."""
from __future__ import annotations

import copy
import re

from .access import (
    get_bool,
    get_int,
    get_ints,
    get_map,
    get_maps,
    get_optional_map,
    get_optional_str,
    get_str,
    get_string_map,
)
from .common import (
    SELECTOR_MISMATCH,
    as_json,
    selector_matches,
    validate_immutable,
    validate_label_selector,
    validate_meta,
    validate_nonnegative,
    validate_one_of,
)
from .cron import ScheduleError, parse_schedule, zone_error
from .errors import (
    OMIT_VALUE,
    FieldError,
    duplicate,
    go_int32_slice,
    go_label_selector,
    go_quote,
    go_string_map,
    invalid,
    not_supported,
    required,
    too_long,
    too_many,
)
from .names import is_dns1123_label, is_qualified_name, max_len_error, name_is_dns_subdomain
from .podspec import validate_pod_template_spec

# Labels the API server puts on a Job's pod template (and selects on) when it generates the selector.
CONTROLLER_UID_LABEL = "batch.kubernetes.io/controller-uid"
JOB_NAME_LABEL = "batch.kubernetes.io/job-name"
LEGACY_CONTROLLER_UID_LABEL = "controller-uid"
LEGACY_JOB_NAME_LABEL = "job-name"

MAX_PARALLELISM_FOR_INDEXED_JOB = 100_000
MAX_FAILED_INDEXES = 100_000
MAX_POD_FAILURE_POLICY_RULES = 20
MAX_EXIT_CODE_VALUES = 255
MAX_POD_CONDITION_PATTERNS = 20
MAX_SUCCESS_POLICY_RULES = 20
MAX_SUCCEEDED_INDEXES_LENGTH = 64 * 1024
CRONJOB_NAME_MAX_LENGTH = 63 - 11  # the controller appends "-<unix minutes>" to Job names

POD_FAILURE_POLICY_ACTIONS = ("Count", "FailIndex", "FailJob", "Ignore")
EXIT_CODE_OPERATORS = ("In", "NotIn")
CONDITION_STATUSES = ("False", "True", "Unknown")
POD_REPLACEMENT_POLICIES = ("Failed", "TerminatingOrFailed")
CONCURRENCY_POLICIES = ("Allow", "Forbid", "Replace")
_TIME_ZONE_PART = re.compile(r"[A-Za-z.\-_0-9+]{1,14}")


def _at_most(items: list, maximum: int, path: str) -> list[FieldError]:
    return [too_many(path, len(items), maximum)] if len(items) > maximum else []


def _go_string_list(values: tuple[str, ...]) -> str:
    """Go's `%q` of a `[]string`: `["a" "b"]`."""
    return "[" + " ".join(go_quote(v) for v in values) + "]"


# --- Job -------------------------------------------------------------------------------------


def validate_job(job: dict, old: dict | None) -> list[FieldError]:
    meta = get_map(job, "metadata", "")
    spec = get_map(job, "spec", "")
    errs = validate_meta(job, old, name_is_dns_subdomain, namespaced=True)
    errs += _validate_generated_selector(meta, spec, with_prefixed_labels=old is None or _has_prefixed_labels(old))
    errs += validate_job_spec(spec, "spec")
    errs += _validate_selector(spec)
    errs += _validate_indexed_pod_hostnames(meta, spec)
    if old is not None:
        errs += _validate_job_spec_update(spec, get_map(old, "spec", ""), old)
    return errs


def _template_labels(spec: dict, path: str) -> dict[str, str] | None:
    template_meta = get_map(get_map(spec, "template", path), "metadata", f"{path}.template")
    return get_string_map(template_meta, "labels", f"{path}.template.metadata")


def _has_prefixed_labels(job: dict) -> bool:
    return CONTROLLER_UID_LABEL in (_template_labels(job.get("spec") or {}, "spec") or {})


def _validate_generated_selector(meta: dict, spec: dict, *, with_prefixed_labels: bool) -> list[FieldError]:
    """The selector and template labels the API server generated must still be in place."""
    selector = get_optional_map(spec, "selector", "spec")
    if get_bool(spec, "manualSelector", "spec") or selector is None:
        return []
    uid = get_str(meta, "uid", "metadata")
    name = get_str(meta, "name", "metadata")
    errs = [] if uid else [required("metadata.uid")]
    expected = {LEGACY_CONTROLLER_UID_LABEL: uid, LEGACY_JOB_NAME_LABEL: name}
    if with_prefixed_labels:
        expected |= {CONTROLLER_UID_LABEL: uid, JOB_NAME_LABEL: name}
    labels = _template_labels(spec, "spec")
    for key, value in expected.items():
        errs += _validate_has_label(labels, key, value)
    if not validate_label_selector(selector, "spec.selector") and not selector_matches(selector, expected):
        errs.append(invalid("spec.selector", go_label_selector(selector), "`selector` not auto-generated"))
    return errs


def _validate_has_label(labels: dict[str, str] | None, key: str, expected: str) -> list[FieldError]:
    path = f"spec.template.metadata.labels[{key}]"
    if labels is None or key not in labels:
        return [required(path, expected)]
    if labels[key] != expected:
        return [invalid(path, go_string_map(labels), f"must be '{expected}'")]
    return []


def _validate_selector(spec: dict) -> list[FieldError]:
    """`ValidateJobSpec`'s own part: a selector is required and must match the template."""
    selector = get_optional_map(spec, "selector", "spec")
    selector_errs = validate_label_selector(selector, "spec.selector")
    errs = [required("spec.selector")] if selector is None else list(selector_errs)
    labels = _template_labels(spec, "spec")
    if not selector_errs and not selector_matches(selector, labels):
        errs.append(invalid("spec.template.metadata.labels", go_string_map(labels), SELECTOR_MISMATCH))
    return errs


def _validate_indexed_pod_hostnames(meta: dict, spec: dict) -> list[FieldError]:
    """Indexed pods are named `<job>-<index>`, which must be a DNS label for every index."""
    completions = get_int(spec, "completions", "spec")
    if spec.get("completionMode") != "Indexed" or not completions or completions <= 0:
        return []
    name = get_str(meta, "name", "metadata")
    hostname = f"{name}-{completions - 1}"
    if is_dns1123_label(hostname):
        return [invalid("metadata.name", name, f"will not able to create pod with invalid DNS label: {hostname}")]
    return []


def validate_job_spec(spec: dict, path: str) -> list[FieldError]:
    """`validateJobSpec`: everything but the selector (shared with CronJob job templates)."""
    counts = {
        key: get_int(spec, key, path, go_type)
        for key, go_type in (
            ("parallelism", "int32"),
            ("completions", "int32"),
            ("activeDeadlineSeconds", "int64"),
            ("backoffLimit", "int32"),
            ("ttlSecondsAfterFinished", "int32"),
            ("backoffLimitPerIndex", "int32"),
            ("maxFailedIndexes", "int32"),
        )
    }
    errs = [e for key, value in counts.items() for e in validate_nonnegative(value, f"{path}.{key}")]
    if counts["maxFailedIndexes"] is not None and counts["backoffLimitPerIndex"] is None:
        errs.append(required(f"{path}.backoffLimitPerIndex", "when maxFailedIndexes is specified"))
    mode = get_optional_str(spec, "completionMode", path)
    errs += _validate_completion_mode(mode, counts, path)

    policy = get_optional_map(spec, "podFailurePolicy", path)
    if policy is not None:
        errs += _validate_pod_failure_policy(policy, spec, counts["backoffLimitPerIndex"] is not None, path)
    success_policy = get_optional_map(spec, "successPolicy", path)
    if success_policy is not None:
        if mode != "Indexed":
            errs.append(invalid(f"{path}.successPolicy", as_json(success_policy), "requires indexed completion mode"))
        elif counts["completions"] is not None:
            errs += _validate_success_policy(success_policy, counts["completions"], f"{path}.successPolicy")
    errs += _validate_pod_replacement_policy(spec, policy is not None, path)

    template = get_map(spec, "template", path)
    errs += validate_pod_template_spec(template, f"{path}.template", restart_policy_optional=True)
    errs += _validate_job_restart_policy(template, policy is not None, f"{path}.template")
    return errs


def _validate_completion_mode(mode: str | None, counts: dict[str, int | None], path: str) -> list[FieldError]:
    completions, parallelism = counts["completions"], counts["parallelism"]
    per_index, max_failed = counts["backoffLimitPerIndex"], counts["maxFailedIndexes"]
    errs = []
    if mode not in (None, "NonIndexed", "Indexed"):
        errs.append(not_supported(f"{path}.completionMode", mode, ("NonIndexed", "Indexed")))
    if mode == "Indexed":
        if completions is None:
            errs.append(required(f"{path}.completions", "when completion mode is Indexed"))
        if parallelism is not None and parallelism > MAX_PARALLELISM_FOR_INDEXED_JOB:
            errs.append(invalid(
                f"{path}.parallelism", parallelism,
                f"must be less than or equal to {MAX_PARALLELISM_FOR_INDEXED_JOB} when completion mode is Indexed",
            ))
        if completions is not None and max_failed is not None and max_failed > completions:
            errs.append(invalid(f"{path}.maxFailedIndexes", max_failed, "must be less than or equal to completions"))
        if max_failed is not None and max_failed > MAX_FAILED_INDEXES:
            detail = f"must be less than or equal to {MAX_FAILED_INDEXES}"
            errs.append(invalid(f"{path}.maxFailedIndexes", max_failed, detail))
    if mode in (None, "NonIndexed"):
        if per_index is not None:
            errs.append(invalid(f"{path}.backoffLimitPerIndex", per_index, "requires indexed completion mode"))
        if max_failed is not None:
            errs.append(invalid(f"{path}.maxFailedIndexes", max_failed, "requires indexed completion mode"))
    return errs


def _validate_job_restart_policy(template: dict, has_failure_policy: bool, template_path: str) -> list[FieldError]:
    """Jobs need Never or OnFailure; the pod-spec default (Always) and "" both count as missing."""
    path = f"{template_path}.spec.restartPolicy"
    restart_policy = get_str(get_map(template, "spec", template_path), "restartPolicy", f"{template_path}.spec")
    if restart_policy in ("Always", ""):
        return [required(path, 'valid values: "OnFailure", "Never"')]
    if restart_policy not in ("OnFailure", "Never"):
        return [not_supported(path, restart_policy, ("OnFailure", "Never"))]
    if has_failure_policy and restart_policy != "Never":
        return [invalid(path, restart_policy, 'only "Never" is supported when podFailurePolicy is specified')]
    return []


def _validate_pod_replacement_policy(spec: dict, has_failure_policy: bool, path: str) -> list[FieldError]:
    policy = get_optional_str(spec, "podReplacementPolicy", path)
    if policy is None:
        return []
    supported = ("Failed",) if has_failure_policy else POD_REPLACEMENT_POLICIES
    return [] if policy in supported else [not_supported(f"{path}.podReplacementPolicy", policy, supported)]


def _validate_pod_failure_policy(
    policy: dict, spec: dict, has_backoff_per_index: bool, path: str
) -> list[FieldError]:
    rules_path = f"{path}.podFailurePolicy.rules"
    rules = get_maps(policy, "rules", f"{path}.podFailurePolicy")
    errs = _at_most(rules, MAX_POD_FAILURE_POLICY_RULES, rules_path)
    pod_spec = get_map(get_map(spec, "template", path), "spec", f"{path}.template")
    container_names = {
        get_str(c, "name", f"{path}.template.spec.{key}[{i}]")
        for key in ("containers", "initContainers")
        for i, c in enumerate(get_maps(pod_spec, key, f"{path}.template.spec"))
    }
    for i, rule in enumerate(rules):
        errs += _validate_pod_failure_rule(rule, has_backoff_per_index, f"{rules_path}[{i}]", container_names)
    return errs


def _validate_pod_failure_rule(
    rule: dict, has_backoff_per_index: bool, path: str, container_names: set[str]
) -> list[FieldError]:
    action = get_str(rule, "action", path)
    errs = []
    if not action:
        errs.append(required(f"{path}.action", f"valid values: {_go_string_list(POD_FAILURE_POLICY_ACTIONS)}"))
    elif action == "FailIndex" and not has_backoff_per_index:
        errs.append(invalid(f"{path}.action", action, "requires the backoffLimitPerIndex to be set"))
    elif action not in POD_FAILURE_POLICY_ACTIONS:
        errs.append(not_supported(f"{path}.action", action, POD_FAILURE_POLICY_ACTIONS))
    on_exit_codes = get_optional_map(rule, "onExitCodes", path)
    on_conditions = get_maps(rule, "onPodConditions", path)
    if on_exit_codes is not None:
        errs += _validate_on_exit_codes(on_exit_codes, f"{path}.onExitCodes", container_names)
    if on_conditions:
        errs += _validate_on_pod_conditions(on_conditions, f"{path}.onPodConditions")
    if on_exit_codes is not None and on_conditions:
        errs.append(invalid(path, OMIT_VALUE, "specifying both OnExitCodes and OnPodConditions is not supported"))
    if on_exit_codes is None and not on_conditions:
        errs.append(invalid(path, OMIT_VALUE, "specifying one of OnExitCodes and OnPodConditions is required"))
    return errs


def _validate_on_exit_codes(requirement: dict, path: str, container_names: set[str]) -> list[FieldError]:
    operator = get_str(requirement, "operator", path)
    container = get_optional_str(requirement, "containerName", path)
    values = get_ints(requirement, "values", path)
    errs = []
    if not operator:
        errs.append(required(f"{path}.operator", f"valid values: {_go_string_list(EXIT_CODE_OPERATORS)}"))
    elif operator not in EXIT_CODE_OPERATORS:
        errs.append(not_supported(f"{path}.operator", operator, EXIT_CODE_OPERATORS))
    if container is not None and container not in container_names:
        detail = "must be one of the container or initContainer names in the pod template"
        errs.append(invalid(f"{path}.containerName", container, detail))
    if not values:
        errs.append(invalid(f"{path}.values", go_int32_slice(values), "at least one value is required"))
    elif len(values) > MAX_EXIT_CODE_VALUES:
        errs.append(too_many(f"{path}.values", len(values), MAX_EXIT_CODE_VALUES))
    seen: set[int] = set()
    for i, value in enumerate(values or []):
        if operator == "In" and value == 0:
            errs.append(invalid(f"{path}.values[{i}]", value, "must not be 0 for the In operator"))
        if value in seen:
            errs.append(duplicate(f"{path}.values[{i}]", value))
        seen.add(value)
    if values and values != sorted(values):
        errs.append(invalid(f"{path}.values", go_int32_slice(values), "must be ordered"))
    return errs


def _validate_on_pod_conditions(patterns: list[dict], path: str) -> list[FieldError]:
    errs = _at_most(patterns, MAX_POD_CONDITION_PATTERNS, path)
    for i, pattern in enumerate(patterns):
        condition_type = get_str(pattern, "type", f"{path}[{i}]")
        errs += [invalid(f"{path}[{i}].type", condition_type, m) for m in is_qualified_name(condition_type)]
        status = get_str(pattern, "status", f"{path}[{i}]")
        if not status:
            errs.append(required(f"{path}[{i}].status", f"valid values: {_go_string_list(CONDITION_STATUSES)}"))
        elif status not in CONDITION_STATUSES:
            errs.append(not_supported(f"{path}[{i}].status", status, CONDITION_STATUSES))
    return errs


def _validate_success_policy(policy: dict, completions: int, path: str) -> list[FieldError]:
    rules = get_maps(policy, "rules", path)
    if rules:
        errs = _at_most(rules, MAX_SUCCESS_POLICY_RULES, f"{path}.rules")
    else:
        errs = [required(f"{path}.rules", "at least one rules must be specified when the successPolicy is specified")]
    for i, rule in enumerate(rules):
        errs += _validate_success_rule(rule, completions, f"{path}.rules[{i}]")
    return errs


def _validate_success_rule(rule: dict, completions: int, path: str) -> list[FieldError]:
    count = get_int(rule, "succeededCount", path)
    indexes = get_optional_str(rule, "succeededIndexes", path)
    errs = []
    if count is None and indexes is None:
        errs.append(required(path, "at least one of succeededCount or succeededIndexes must be specified"))
    total = 0
    if indexes is not None:
        if len(indexes) > MAX_SUCCEEDED_INDEXES_LENGTH:
            errs.append(too_long(f"{path}.succeededIndexes", MAX_SUCCEEDED_INDEXES_LENGTH))
        try:
            total = _count_indexes(indexes, completions)
        except ValueError as exc:
            errs.append(invalid(f"{path}.succeededIndexes", indexes, f"error parsing succeededIndexes: {exc}"))
    if count is not None:
        count_path = f"{path}.succeededCount"
        errs += validate_nonnegative(count, count_path)
        if count > completions:
            detail = f"must be less than or equal to {completions} (the number of specified completions)"
            errs.append(invalid(count_path, count, detail))
        if indexes is not None and count > total:
            detail = f"must be less than or equal to {total} (the number of indexes in the specified succeededIndexes field)"
            errs.append(invalid(count_path, count, detail))
    return errs


def _count_indexes(indexes: str, completions: int) -> int:
    """How many indexes an interval list such as `"1,3-5,7"` names; `ValueError` if malformed."""
    total, last = 0, None
    for interval in indexes.split(",") if indexes else []:
        first, end = _parse_index_interval(interval, completions)
        if last is not None and last >= first:
            raise ValueError(f"non-increasing order, previous: {last}, current: {first}")
        total += end - first + 1
        last = end
    return total


def _parse_index_interval(interval: str, completions: int) -> tuple[int, int]:
    limits = interval.split("-")
    if len(limits) > 2:
        raise ValueError(
            f"the fragment {go_quote(interval)} violates the requirement that an index interval "
            "can have at most two parts separated by '-'"
        )
    numbers = []
    for limit in limits:
        if not re.fullmatch(r"[+-]?[0-9]+", limit):
            raise ValueError(f"cannot convert string to integer for index: {go_quote(limit)}")
        if int(limit) >= completions:
            raise ValueError(f"too large index: {go_quote(limit)}")
        numbers.append(int(limit))
    if len(numbers) == 2 and numbers[0] >= numbers[1]:
        raise ValueError(f"non-increasing order, previous: {numbers[0]}, current: {numbers[1]}")
    return numbers[0], numbers[-1]


def _validate_job_spec_update(spec: dict, old_spec: dict, old_job: dict) -> list[FieldError]:
    errs = _validate_completions_update(spec, old_spec)
    selector = spec.get("selector")
    errs += validate_immutable(selector, old_spec.get("selector"), "spec.selector", go_label_selector(selector))
    errs += _validate_template_update(spec, old_spec, old_job)
    errs += validate_immutable(spec.get("completionMode"), old_spec.get("completionMode"), "spec.completionMode")
    for key in ("podFailurePolicy", "backoffLimitPerIndex", "managedBy", "successPolicy"):
        new = spec.get(key)
        shown = as_json(new) if isinstance(new, dict) else None
        errs += validate_immutable(new, old_spec.get(key), f"spec.{key}", shown)
    return errs


def _validate_completions_update(spec: dict, old_spec: dict) -> list[FieldError]:
    """Immutable, except that an Indexed Job may change it together with parallelism."""
    completions = spec.get("completions")
    if spec.get("completionMode") != "Indexed":
        return validate_immutable(completions, old_spec.get("completions"), "spec.completions")
    if completions == old_spec.get("completions") or completions is None:
        return []
    if completions != spec.get("parallelism"):
        return [invalid("spec.completions", completions, "can only be modified in tandem with spec.parallelism")]
    return []


def _validate_template_update(spec: dict, old_spec: dict, old_job: dict) -> list[FieldError]:
    """The template is immutable; a suspended Job that never started may change its scheduling directives."""
    template, old_template = spec.get("template"), old_spec.get("template")
    never_started = not (old_job.get("status") or {}).get("startTime")
    if old_spec.get("suspend") is True and never_started:
        template = _without_scheduling_directives(template)
        old_template = _without_scheduling_directives(old_template)
    return validate_immutable(template, old_template, "spec.template", as_json(spec.get("template")))


def _without_scheduling_directives(template: dict | None) -> dict:
    template = copy.deepcopy(template or {})
    meta, spec = template.get("metadata") or {}, template.get("spec") or {}
    for key in ("labels", "annotations"):
        meta.pop(key, None)
    for key in ("nodeSelector", "tolerations", "schedulingGates"):
        spec.pop(key, None)
    affinity = spec.get("affinity") or {}
    affinity.pop("nodeAffinity", None)
    if not affinity:
        spec.pop("affinity", None)
    return template


# --- CronJob ---------------------------------------------------------------------------------


def validate_cronjob(cronjob: dict, old: dict | None) -> list[FieldError]:
    spec = get_map(cronjob, "spec", "")
    old_spec = None if old is None else get_map(old, "spec", "")
    errs = validate_meta(cronjob, old, name_is_dns_subdomain, namespaced=True)
    errs += _validate_cronjob_spec(spec, old_spec)
    name = get_str(get_map(cronjob, "metadata", ""), "name", "metadata")
    if old is None and len(name) > CRONJOB_NAME_MAX_LENGTH:  # not on update: old long names stay editable
        errs.append(invalid("metadata.name", name, max_len_error(CRONJOB_NAME_MAX_LENGTH)))
    return errs


def _validate_cronjob_spec(spec: dict, old_spec: dict | None) -> list[FieldError]:
    schedule = get_str(spec, "schedule", "spec")
    time_zone = get_optional_str(spec, "timeZone", "spec")
    if schedule:
        allow_tz = old_spec is not None and "TZ" in (old_spec.get("schedule") or "")
        errs = _validate_schedule(schedule, allow_tz, time_zone)
    else:
        errs = [required("spec.schedule")]
    errs += validate_nonnegative(
        get_int(spec, "startingDeadlineSeconds", "spec", "int64"), "spec.startingDeadlineSeconds"
    )
    if old_spec is None or time_zone != old_spec.get("timeZone"):
        errs += _validate_time_zone(time_zone)
    concurrency_policy = get_str(spec, "concurrencyPolicy", "spec")
    errs += validate_one_of(concurrency_policy, "spec.concurrencyPolicy", CONCURRENCY_POLICIES)
    errs += _validate_job_template(get_map(spec, "jobTemplate", "spec"), "spec.jobTemplate")
    for key in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
        errs += validate_nonnegative(get_int(spec, key, "spec"), f"spec.{key}")
    return errs


def _validate_schedule(schedule: str, allow_tz: bool, time_zone: str | None) -> list[FieldError]:
    errs = []
    try:
        parse_schedule(schedule)
    except ScheduleError as exc:
        errs.append(invalid("spec.schedule", schedule, str(exc)))
    if "TZ" in schedule and not allow_tz:
        detail = "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"
        errs.append(invalid("spec.schedule", schedule, detail))
    elif "TZ" in schedule and time_zone is not None:
        detail = "cannot use both timeZone field and TZ or CRON_TZ in schedule"
        errs.append(invalid("spec.schedule", schedule, detail))
    return errs


def _validate_time_zone(time_zone: str | None) -> list[FieldError]:
    path = "spec.timeZone"
    if time_zone is None:
        return []
    if not time_zone:
        return [invalid(path, time_zone, "timeZone must be nil or non-empty string")]
    for part in time_zone.split("/"):
        if part in (".", "..") or part.startswith("-") or not _TIME_ZONE_PART.fullmatch(part):
            return [invalid(path, time_zone, f"unknown time zone {time_zone}")]
    errs = []
    if time_zone.lower() == "local":
        detail = "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"
        errs.append(invalid(path, time_zone, detail))
    error = zone_error(time_zone)
    if error:
        errs.append(invalid(path, time_zone, error))
    return errs


def _validate_job_template(job_template: dict, path: str) -> list[FieldError]:
    spec = get_map(job_template, "spec", path)
    errs = validate_job_spec(spec, f"{path}.spec")
    selector = get_optional_map(spec, "selector", f"{path}.spec")
    if selector is not None:
        detail = "`selector` will be auto-generated"
        errs.append(invalid(f"{path}.spec.selector", go_label_selector(selector), detail))
    if get_bool(spec, "manualSelector", f"{path}.spec"):
        errs.append(not_supported(f"{path}.spec.manualSelector", True, ("nil", "false")))
    return errs
