"""Validation entry points: `validate` (field errors) and `prepare` (default, then validate)."""
from __future__ import annotations

from typing import Callable

from .access import decoding
from .apps import validate_controller_revision, validate_daemonset
from .batch import validate_cronjob, validate_job
from .core import validate_event, validate_namespace, validate_node, validate_pod
from .defaults import apply_defaults
from .errors import FieldError
from .invalid import InvalidError
from .kinds import kind_info
from .schema import check as check_fields

Validator = Callable[[dict, "dict | None"], list[FieldError]]

_VALIDATORS: dict[str, Validator] = {
    "DaemonSet": validate_daemonset,
    "ControllerRevision": validate_controller_revision,
    "Job": validate_job,
    "CronJob": validate_cronjob,
    "Pod": validate_pod,
    "Node": validate_node,
    "Namespace": validate_namespace,
    "Event": validate_event,
}


def validate(obj: dict, old: dict | None = None) -> list[FieldError]:
    """Upstream's validation of a defaulted object: on create, or on update when `old` is given.

    Raises `ManifestError` for an unserved kind or a field of the wrong JSON type."""
    info = kind_info(obj)
    with decoding(info):
        return _VALIDATORS[info.kind](obj, old)


def prepare(obj: dict, old: dict | None = None) -> dict:
    """What the API server does before storing: default, validate; returns the defaulted copy.

    Raises `InvalidError` (422) or `ManifestError` (400-like: unserved kind, undecodable or
    unknown field: see `schema.check`, which drops unknown fields from `obj` when not strict)."""
    check_fields(obj)
    defaulted = apply_defaults(obj, create=old is None)
    errors = validate(defaulted, old)
    if errors:
        name = (defaulted.get("metadata") or {}).get("name") or ""
        raise InvalidError(defaulted["kind"], str(name), errors)
    return defaulted
