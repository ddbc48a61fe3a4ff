"""apps/v1 validation: DaemonSet and ControllerRevision (`pkg/apis/apps/validation`)."""
from __future__ import annotations

from .access import get_int, get_int_or_string, get_map, get_optional_map, get_str, get_string_map
from .common import (
    SELECTOR_MISMATCH,
    as_json,
    selector_matches,
    validate_immutable,
    validate_label_selector,
    validate_meta,
    validate_nonnegative,
)
from .errors import (
    FieldError,
    GoLiteral,
    forbidden,
    go_int_or_string,
    go_label_selector,
    go_quote,
    go_string_map,
    invalid,
    not_supported,
    required,
)
from .names import is_valid_percent, name_is_dns_subdomain
from .podspec import validate_pod_template_spec

UPDATE_STRATEGY_TYPES = ("RollingUpdate", "OnDelete")


def validate_daemonset(ds: dict, old: dict | None) -> list[FieldError]:
    spec = get_map(ds, "spec", "")
    errs = validate_meta(ds, old, name_is_dns_subdomain, namespaced=True)
    errs += _validate_daemonset_spec(spec)
    if old is not None:  # apps/v1 forbids selector changes (the registry strategy's check)
        selector = get_optional_map(spec, "selector", "spec")
        old_selector = get_map(old, "spec", "").get("selector")
        errs += validate_immutable(selector, old_selector, "spec.selector", go_label_selector(selector))
    return errs


def _validate_daemonset_spec(spec: dict) -> list[FieldError]:
    selector = get_optional_map(spec, "selector", "spec")
    template = get_map(spec, "template", "spec")
    labels = get_string_map(get_map(template, "metadata", "spec.template"), "labels", "spec.template.metadata")
    pod_spec = get_map(template, "spec", "spec.template")

    selector_errs = validate_label_selector(selector, "spec.selector")
    errs = list(selector_errs)
    if not selector_errs and not selector_matches(selector, labels):
        errs.append(invalid("spec.template.metadata.labels", go_string_map(labels), SELECTOR_MISMATCH))
    if selector is not None and not (selector.get("matchLabels") or selector.get("matchExpressions")):
        errs.append(invalid("spec.selector", go_label_selector(selector), "empty selector is invalid for daemonset"))
    errs += validate_pod_template_spec(template, "spec.template")
    restart_policy = get_str(pod_spec, "restartPolicy", "spec.template.spec")
    if restart_policy != "Always":
        errs.append(not_supported("spec.template.spec.restartPolicy", restart_policy, ["Always"]))
    if get_int(pod_spec, "activeDeadlineSeconds", "spec.template.spec", "int64") is not None:
        detail = "activeDeadlineSeconds in DaemonSet is not Supported"
        errs.append(forbidden("spec.template.spec.activeDeadlineSeconds", detail))
    errs += validate_nonnegative(get_int(spec, "minReadySeconds", "spec"), "spec.minReadySeconds")
    errs += _validate_update_strategy(get_map(spec, "updateStrategy", "spec"), "spec.updateStrategy")
    errs += validate_nonnegative(get_int(spec, "revisionHistoryLimit", "spec"), "spec.revisionHistoryLimit")
    return errs


def _validate_update_strategy(strategy: dict, path: str) -> list[FieldError]:
    strategy_type = get_str(strategy, "type", path)
    rolling = get_optional_map(strategy, "rollingUpdate", path)
    if strategy_type == "OnDelete":
        return []
    if strategy_type == "RollingUpdate":
        if rolling is None:
            return [required(f"{path}.rollingUpdate")]
        return _validate_rolling_update(rolling, f"{path}.rollingUpdate")
    return [not_supported(path, _go_update_strategy(strategy_type, rolling), UPDATE_STRATEGY_TYPES)]


def _go_update_strategy(strategy_type: str, rolling: dict | None) -> GoLiteral:
    """`%#v` of the strategy. Go prints a set RollingUpdate pointer as an address; we show its fields."""
    if rolling is None:
        shown = "(*apps.RollingUpdateDaemonSet)(nil)"
    else:
        shown = (
            f"&apps.RollingUpdateDaemonSet{{MaxUnavailable:{go_int_or_string(rolling.get('maxUnavailable')).text}, "
            f"MaxSurge:{go_int_or_string(rolling.get('maxSurge')).text}}}"
        )
    return GoLiteral(f"apps.DaemonSetUpdateStrategy{{Type:{go_quote(strategy_type)}, RollingUpdate:{shown}}}")


def _validate_rolling_update(rolling: dict, path: str) -> list[FieldError]:
    max_unavailable = get_int_or_string(rolling, "maxUnavailable", path)
    max_surge = get_int_or_string(rolling, "maxSurge", path)
    errs = _validate_int_or_percent(max_unavailable, f"{path}.maxUnavailable")
    errs += _validate_int_or_percent(max_surge, f"{path}.maxSurge")
    errs += _not_more_than_100_percent(max_unavailable, f"{path}.maxUnavailable")
    errs += _not_more_than_100_percent(max_surge, f"{path}.maxSurge")
    has_unavailable = _int_or_percent_value(max_unavailable) != 0
    has_surge = _int_or_percent_value(max_surge) != 0
    if has_unavailable and has_surge:
        detail = "may not be set when maxUnavailable is non-zero"
        errs.append(invalid(f"{path}.maxSurge", go_int_or_string(max_surge), detail))
    elif not has_unavailable and not has_surge:
        errs.append(required(f"{path}.maxUnavailable", "cannot be 0 when maxSurge is 0"))
    return errs


def _validate_int_or_percent(value: int | str | None, path: str) -> list[FieldError]:
    if isinstance(value, str):
        return [invalid(path, go_int_or_string(value), msg) for msg in is_valid_percent(value)]
    return validate_nonnegative(value, path)


def _percent_value(value: int | str | None) -> int | None:
    if isinstance(value, str) and not is_valid_percent(value):
        return int(value[:-1])
    return None


def _int_or_percent_value(value: int | str | None) -> int:
    """Upstream's `getIntOrPercentValue`: a percentage's number, else `IntValue()`."""
    percent = _percent_value(value)
    if percent is not None:
        return percent
    if isinstance(value, str):
        return int(value) if value.isdigit() else 0
    return value or 0


def _not_more_than_100_percent(value: int | str | None, path: str) -> list[FieldError]:
    percent = _percent_value(value)
    if percent is not None and percent > 100:
        return [invalid(path, go_int_or_string(value), "must not be greater than 100%")]
    return []


def validate_controller_revision(revision: dict, old: dict | None) -> list[FieldError]:
    errs = validate_meta(revision, old, name_is_dns_subdomain, namespaced=True)
    if revision.get("data") is None:
        errs.append(required("data", "data is mandatory"))
    errs += validate_nonnegative(get_int(revision, "revision", "", "int64"), "revision")
    if old is not None:
        errs += validate_immutable(revision.get("data"), old.get("data"), "data", as_json(revision.get("data")))
    return errs
