"""Kubernetes manifests for the simulated cluster: parse, default and validate them as kubectl
and the API server do, with upstream's messages. Pure functions on plain dicts.

    docs = parse_documents(text, source="ds.yaml")  # ManifestError on bad input
    obj = prepare(docs[0])                           # InvalidError (422) if invalid
"""
from .cron import ScheduleError, parse_schedule
from .defaults import TEMPLATE_GENERATION_ANNOTATION, apply_defaults, next_template_generation
from .errors import ErrorType, FieldError, ManifestError
from .invalid import InvalidError
from .kinds import KINDS, KindInfo, kind_info, resolve_resource
from .parse import parse_documents
from .schema import field_validation
from .validation import prepare, validate

__all__ = [
    "KINDS",
    "TEMPLATE_GENERATION_ANNOTATION",
    "ErrorType",
    "FieldError",
    "InvalidError",
    "KindInfo",
    "ManifestError",
    "ScheduleError",
    "apply_defaults",
    "kind_info",
    "next_template_generation",
    "parse_documents",
    "parse_schedule",
    "prepare",
    "resolve_resource",
    "validate",
]
