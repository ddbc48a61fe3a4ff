"""core/v1 validation: Pod, Node, Namespace, Event (`pkg/apis/core/validation`)."""
from __future__ import annotations

from .access import get_map, get_maps, get_str
from .common import validate_meta, validate_taint_effect
from .errors import FieldError, invalid, required
from .names import is_qualified_name, is_valid_label_value, name_is_dns_label, name_is_dns_subdomain
from .podspec import validate_pod_spec


def validate_pod(pod: dict, old: dict | None) -> list[FieldError]:
    """Spec updates are not restricted here (upstream allows only a few fields to change)."""
    errs = validate_meta(pod, old, name_is_dns_subdomain, namespaced=True)
    return errs + validate_pod_spec(get_map(pod, "spec", ""), "spec")


def validate_node(node: dict, old: dict | None) -> list[FieldError]:
    errs = validate_meta(node, old, name_is_dns_subdomain, namespaced=False)
    spec = get_map(node, "spec", "")
    for i, taint in enumerate(get_maps(spec, "taints", "spec")):
        errs += _validate_taint(taint, f"spec.taints[{i}]")
    return errs


def _validate_taint(taint: dict, path: str) -> list[FieldError]:
    key, value, effect = (get_str(taint, k, path) for k in ("key", "value", "effect"))
    errs = [invalid(f"{path}.key", key, msg) for msg in is_qualified_name(key)]
    problems = is_valid_label_value(value)
    if problems:
        errs.append(invalid(f"{path}.value", value, ";".join(problems)))
    errs += validate_taint_effect(effect, f"{path}.effect") if effect else [required(f"{path}.effect")]
    return errs


def validate_namespace(namespace: dict, old: dict | None) -> list[FieldError]:
    return validate_meta(namespace, old, name_is_dns_label, namespaced=False)


def validate_event(event: dict, old: dict | None) -> list[FieldError]:
    return validate_meta(event, old, name_is_dns_subdomain, namespaced=True)
