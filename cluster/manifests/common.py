"""Validation every kind shares: object metadata, labels, annotations, label selectors.

Ports of apimachinery's `ValidateObjectMeta`, `ValidateLabels`, `ValidateAnnotations`,
`ValidateLabelSelector` and core's `ValidateNonnegativeField` / `ValidateImmutableField`.
"""
from __future__ import annotations

import json
from typing import Any, Callable

from .access import get_int, get_map, get_maps, get_str, get_string_map, get_strings
from .errors import FieldError, GoLiteral, forbidden, invalid, not_supported, required, too_long
from .names import is_qualified_name, is_valid_label_value, name_is_dns_label

NameCheck = Callable[[str, bool], list[str]]

TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
SELECTOR_MISMATCH = "`selector` does not match template `labels`"


def as_json(value: Any) -> GoLiteral:
    """Show a whole struct (a template, a policy) as compact JSON in a message."""
    return GoLiteral(json.dumps(value, separators=(",", ":"), ensure_ascii=False))


def validate_nonnegative(value: int | None, path: str) -> list[FieldError]:
    if value is not None and value < 0:
        return [invalid(path, value, "must be greater than or equal to 0")]
    return []


def validate_immutable(new: Any, old: Any, path: str, shown: Any = None) -> list[FieldError]:
    """`field is immutable` when `new` differs from `old`; `shown` overrides how `new` prints."""
    if new == old:
        return []
    return [invalid(path, new if shown is None else shown, "field is immutable")]


def validate_one_of(
    value: str, path: str, supported: tuple[str, ...], required_detail: str = ""
) -> list[FieldError]:
    """An enum field: Required when empty, Unsupported when not one of `supported`."""
    if not value:
        return [required(path, required_detail)]
    if value not in supported:
        return [not_supported(path, value, supported)]
    return []


def validate_labels(labels: dict[str, str] | None, path: str) -> list[FieldError]:
    errs = []
    for key, value in sorted((labels or {}).items()):
        errs += [invalid(path, key, msg) for msg in is_qualified_name(key)]
        errs += [invalid(path, value, msg) for msg in is_valid_label_value(value)]
    return errs


def validate_annotations(annotations: dict[str, str] | None, path: str) -> list[FieldError]:
    annotations = annotations or {}
    errs = [invalid(path, key, msg) for key in sorted(annotations) for msg in is_qualified_name(key.lower())]
    size = sum(len(k.encode()) + len(v.encode()) for k, v in annotations.items())
    if size > TOTAL_ANNOTATION_SIZE_LIMIT:
        errs.append(too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT))
    return errs


def validate_object_meta(meta: dict, name_check: NameCheck, *, namespaced: bool) -> list[FieldError]:
    """`ValidateObjectMeta` for `metadata`. A name may be absent when generateName is set
    (the store generates it); an absent namespace is the caller's default namespace."""
    errs = []
    generate_name = get_str(meta, "generateName", "metadata")
    if generate_name:
        errs += [invalid("metadata.generateName", generate_name, m) for m in name_check(generate_name, True)]
    name = get_str(meta, "name", "metadata")
    if name:
        errs += [invalid("metadata.name", name, m) for m in name_check(name, False)]
    elif not generate_name:
        errs.append(required("metadata.name", "name or generateName is required"))
    namespace = get_str(meta, "namespace", "metadata")
    if namespaced and namespace:
        errs += [invalid("metadata.namespace", namespace, m) for m in name_is_dns_label(namespace, False)]
    errs += validate_nonnegative(get_int(meta, "generation", "metadata", "int64"), "metadata.generation")
    errs += validate_labels(get_string_map(meta, "labels", "metadata"), "metadata.labels")
    errs += validate_annotations(get_string_map(meta, "annotations", "metadata"), "metadata.annotations")
    return errs


def validate_meta(obj: dict, old: dict | None, name_check: NameCheck, *, namespaced: bool) -> list[FieldError]:
    """Metadata checks for a create (`old` is None) or an update."""
    meta = get_map(obj, "metadata", "")
    errs = validate_object_meta(meta, name_check, namespaced=namespaced)
    if old is not None:
        errs += validate_object_meta_update(meta, get_map(old, "metadata", ""))
    return errs


def validate_object_meta_update(meta: dict, old_meta: dict) -> list[FieldError]:
    """Identity fields cannot change; absent ones are carried over by the store."""
    errs = []
    for key in ("name", "namespace", "uid"):
        new = get_str(meta, key, "metadata")
        if new:
            errs += validate_immutable(new, old_meta.get(key) or "", f"metadata.{key}")
    return errs


def validate_label_selector(selector: dict | None, path: str) -> list[FieldError]:
    if selector is None:
        return []
    errs = validate_labels(get_string_map(selector, "matchLabels", path), f"{path}.matchLabels")
    for i, requirement in enumerate(get_maps(selector, "matchExpressions", path)):
        errs += _validate_requirement(requirement, f"{path}.matchExpressions[{i}]")
    return errs


def _validate_requirement(requirement: dict, path: str) -> list[FieldError]:
    key = get_str(requirement, "key", path)
    operator = get_str(requirement, "operator", path)
    values = get_strings(requirement, "values", path) or []
    errs = []
    if operator in ("In", "NotIn"):
        if not values:
            errs.append(required(f"{path}.values", "must be specified when `operator` is 'In' or 'NotIn'"))
    elif operator in ("Exists", "DoesNotExist"):
        if values:
            detail = "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
            errs.append(forbidden(f"{path}.values", detail))
    else:
        errs.append(invalid(f"{path}.operator", operator, "not a valid selector operator"))
    errs += [invalid(f"{path}.key", key, msg) for msg in is_qualified_name(key)]
    for i, value in enumerate(values):
        errs += [invalid(f"{path}.values[{i}]", value, msg) for msg in is_valid_label_value(value)]
    return errs


def selector_matches(selector: dict | None, labels: dict[str, str] | None) -> bool:
    """`LabelSelectorAsSelector(selector).Matches(labels)` for a selector that validated:
    a missing selector matches nothing, an empty one matches everything."""
    if selector is None:
        return False
    labels = labels or {}
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    return all(_requirement_matches(r, labels) for r in selector.get("matchExpressions") or [])


def _requirement_matches(requirement: dict, labels: dict[str, str]) -> bool:
    key, operator = requirement["key"], requirement["operator"]
    present = key in labels
    if operator == "In":
        return present and labels[key] in requirement["values"]
    if operator == "NotIn":
        return not present or labels[key] not in requirement["values"]
    return present if operator == "Exists" else not present


def validate_taint_effect(effect: str, path: str) -> list[FieldError]:
    return [] if effect in TAINT_EFFECTS else [not_supported(path, effect, TAINT_EFFECTS)]
