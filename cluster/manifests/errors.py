"""Field errors exactly as apimachinery's `field.Error` prints them, and the manifest error.

Values are rendered the way `field.Error.ErrorBody()` prints them with Go's `%v`/`%q`/`%#v`:
ints bare, strings double-quoted, `map[string]string{"app":"x"}`,
`v1.LabelSelector{MatchLabels:..., MatchExpressions:...}`. Whole structs that Go would dump
field by field (a pod template, a toleration) are rendered as compact JSON instead, the way
newer API servers print them.
"""
from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import Any, Iterable, Mapping


class ManifestError(ValueError):
    """A manifest that cannot be read, decoded or mapped to a served kind (kubectl-like text)."""


class ErrorType(enum.Enum):
    """`field.ErrorType`: the text in a message and the `reason` of a Status cause."""

    NOT_FOUND = ("Not found", "FieldValueNotFound")
    REQUIRED = ("Required value", "FieldValueRequired")
    DUPLICATE = ("Duplicate value", "FieldValueDuplicate")
    INVALID = ("Invalid value", "FieldValueInvalid")
    NOT_SUPPORTED = ("Unsupported value", "FieldValueNotSupported")
    FORBIDDEN = ("Forbidden", "FieldValueForbidden")
    TOO_LONG = ("Too long", "FieldValueTooLong")
    TOO_MANY = ("Too many", "FieldValueTooMany")

    def __init__(self, text: str, reason: str) -> None:
        self.text = text
        self.reason = reason


_TYPES_WITHOUT_VALUE = {ErrorType.REQUIRED, ErrorType.FORBIDDEN, ErrorType.TOO_LONG}


@dataclass(frozen=True)
class GoLiteral:
    """A value already rendered as Go prints it (`map[string]string(nil)`, a struct, ...)."""

    text: str


class _OmitValue:
    def __repr__(self) -> str:
        return "OMIT_VALUE"


OMIT_VALUE = _OmitValue()
"""`field.OmitValueType{}`: the message shows no value at all."""


def go_quote(text: str) -> str:
    """Go's `%q` for the strings found in manifests."""
    return json.dumps(text, ensure_ascii=False)


def go_string_map(value: Mapping[str, str] | None) -> GoLiteral:
    """`%#v` of a `map[string]string`: keys sorted, nil shown as such."""
    if value is None:
        return GoLiteral("map[string]string(nil)")
    items = ", ".join(f"{go_quote(k)}:{go_quote(v)}" for k, v in sorted(value.items()))
    return GoLiteral(f"map[string]string{{{items}}}")


def _go_strings(values: list[str] | None) -> str:
    if values is None:
        return "[]string(nil)"
    return "[]string{" + ", ".join(go_quote(v) for v in values) + "}"


def go_label_selector(selector: Mapping[str, Any] | None) -> GoLiteral:
    """`%#v` of a `metav1.LabelSelector`, as the selector errors print it (a nil one as `null`)."""
    if selector is None:
        return GoLiteral("null")
    expressions = selector.get("matchExpressions")
    if expressions is None:
        rendered = "[]v1.LabelSelectorRequirement(nil)"
    else:
        reqs = ", ".join(
            f"v1.LabelSelectorRequirement{{Key:{go_quote(e.get('key') or '')}, "
            f"Operator:{go_quote(e.get('operator') or '')}, Values:{_go_strings(e.get('values'))}}}"
            for e in expressions
        )
        rendered = f"[]v1.LabelSelectorRequirement{{{reqs}}}"
    match_labels = go_string_map(selector.get("matchLabels")).text
    return GoLiteral(f"v1.LabelSelector{{MatchLabels:{match_labels}, MatchExpressions:{rendered}}}")


def go_int_or_string(value: int | str | None) -> GoLiteral:
    """`%#v` of an `intstr.IntOrString` (maxUnavailable, maxSurge)."""
    if isinstance(value, str):
        return GoLiteral(f"intstr.IntOrString{{Type:1, IntVal:0, StrVal:{go_quote(value)}}}")
    return GoLiteral(f'intstr.IntOrString{{Type:0, IntVal:{value or 0}, StrVal:""}}')


def go_int32_slice(values: list[int] | None) -> GoLiteral:
    if values is None:
        return GoLiteral("[]int32(nil)")
    return GoLiteral("[]int32{" + ", ".join(str(v) for v in values) + "}")


def go_value(value: Any) -> str:
    """How `field.Error.ErrorBody()` prints a bad value."""
    if isinstance(value, GoLiteral):
        return value.text
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return go_quote(value)
    if isinstance(value, Mapping) and all(isinstance(v, str) for v in value.values()):
        return go_string_map(value).text
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class FieldError:
    """One validation error (`field.Error`); `str()` is upstream's `Error()`."""

    type: ErrorType
    field: str
    value: Any = None
    detail: str = ""

    @property
    def reason(self) -> str:
        """The Status cause type, e.g. `FieldValueInvalid`."""
        return self.type.reason

    def body(self) -> str:
        """Upstream's `ErrorBody()`: the message without the field path."""
        if self.type in _TYPES_WITHOUT_VALUE or self.value is OMIT_VALUE:
            text = self.type.text
        else:
            text = f"{self.type.text}: {go_value(self.value)}"
        return f"{text}: {self.detail}" if self.detail else text

    def __str__(self) -> str:
        return f"{self.field}: {self.body()}"


def required(field: str, detail: str = "") -> FieldError:
    return FieldError(ErrorType.REQUIRED, field, None, detail)


def invalid(field: str, value: Any, detail: str) -> FieldError:
    return FieldError(ErrorType.INVALID, field, value, detail)


def not_supported(field: str, value: Any, supported: Iterable[str]) -> FieldError:
    quoted = ", ".join(go_quote(v) for v in supported)
    return FieldError(ErrorType.NOT_SUPPORTED, field, value, f"supported values: {quoted}" if quoted else "")


def forbidden(field: str, detail: str) -> FieldError:
    return FieldError(ErrorType.FORBIDDEN, field, None, detail)


def duplicate(field: str, value: Any) -> FieldError:
    return FieldError(ErrorType.DUPLICATE, field, value)


def too_many(field: str, actual: int, maximum: int) -> FieldError:
    items = "item" if maximum == 1 else "items"
    return FieldError(ErrorType.TOO_MANY, field, actual, f"must have at most {maximum} {items}")


def too_long(field: str, maximum: int) -> FieldError:
    unit = "byte" if maximum == 1 else "bytes"
    return FieldError(ErrorType.TOO_LONG, field, None, f"may not be more than {maximum} {unit}")


def aggregate(messages: Iterable[str]) -> str:
    """apimachinery's aggregate `Error()`: duplicates dropped, several wrapped in `[...]`."""
    unique = list(dict.fromkeys(messages))
    if len(unique) == 1:
        return unique[0]
    return "[" + ", ".join(unique) + "]" if unique else ""
