"""Typed reads of manifest fields, failing the way the API server's JSON decoder does.

A real API server decodes a manifest into Go structs before defaulting and validation, so a
string where an int32 belongs is a 400 "cannot be handled" error, not a validation error.
These readers give defaulting and validation the same guarantee: every field they read has the
JSON type its Go field expects, or a `DecodeError` names the field and the types.
Absent fields and JSON nulls read as Go's zero value.

Every reader takes the object, the key, and `at`: the path of the object itself ("" for the
top level), so that an error can name `spec.template.spec.containers[0].image`.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from .errors import ManifestError
from .kinds import KindInfo


class DecodeError(ManifestError):
    """A field whose JSON type does not fit its Go type."""

    def __init__(self, value_type: str, path: str, go_type: str):
        self.value_type, self.path, self.go_type = value_type, path, go_type
        super().__init__(self.text())

    def text(self, kind: str = "") -> str:
        """Go's words: the struct holding the field, then the path of JSON keys (no indices)."""
        from .schema import struct_of

        keys = re.sub(r"\[[^\]]*\]", "", self.path)
        return (f"json: cannot unmarshal {self.value_type} into Go struct field "
                f"{struct_of(kind, self.path)}.{keys} of type {self.go_type}")


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _join(at: str, key: str) -> str:
    return f"{at}.{key}" if at else key


def _fail(path: str, value: Any, go_type: str) -> DecodeError:
    return DecodeError(_json_type(value), path, go_type)


@contextmanager
def decoding(info: KindInfo) -> Iterator[None]:
    """Turn a `DecodeError` into the API server's "cannot be handled as a <Kind>" message."""
    try:
        yield
    except DecodeError as exc:
        raise ManifestError(
            f'{info.kind} in version "{info.version}" cannot be handled as a {info.kind}: {exc.text(info.kind)}'
        ) from None


def get_map(obj: dict, key: str, at: str) -> dict:
    """A nested object; `{}` when absent (not stored)."""
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _fail(_join(at, key), value, "object")
    return value


def get_optional_map(obj: dict, key: str, at: str) -> dict | None:
    """A pointer-to-struct field: `None` when absent, which differs from `{}`."""
    return None if obj.get(key) is None else get_map(obj, key, at)


def ensure_map(obj: dict, key: str, at: str) -> dict:
    """A nested object, created and stored when absent (for defaulting)."""
    value = get_map(obj, key, at)
    obj[key] = value
    return value


def get_list(obj: dict, key: str, at: str) -> list:
    """A list; `[]` when absent."""
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _fail(_join(at, key), value, "array")
    return value


def get_maps(obj: dict, key: str, at: str) -> list[dict]:
    """A list of objects (containers, ports, rules...); `[]` when absent."""
    return _checked_items(obj, key, at, lambda item: isinstance(item, dict), "object")


def get_strings(obj: dict, key: str, at: str) -> list[str] | None:
    """A `[]string` field; `None` when absent."""
    if obj.get(key) is None:
        return None
    return _checked_items(obj, key, at, lambda item: isinstance(item, str), "string")


def get_ints(obj: dict, key: str, at: str) -> list[int] | None:
    """A `[]int32` field; `None` when absent."""
    if obj.get(key) is None:
        return None
    return _checked_items(obj, key, at, _is_int, "int32")


def _checked_items(obj: dict, key: str, at: str, fits: Callable[[Any], bool], go_type: str) -> list:
    items = get_list(obj, key, at)
    for i, item in enumerate(items):
        if not fits(item):
            raise _fail(f"{_join(at, key)}[{i}]", item, go_type)
    return items


def get_str(obj: dict, key: str, at: str) -> str:
    """A string field; `""` when absent."""
    value = get_optional_str(obj, key, at)
    return "" if value is None else value


def get_optional_str(obj: dict, key: str, at: str) -> str | None:
    """A `*string` field: `None` when absent, which differs from `""`."""
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise _fail(_join(at, key), value, "string")
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def get_int(obj: dict, key: str, at: str, go_type: str = "int32") -> int | None:
    """An integer field; `None` when absent."""
    value = obj.get(key)
    if value is not None and not _is_int(value):
        raise _fail(_join(at, key), value, go_type)
    return value


def get_bool(obj: dict, key: str, at: str) -> bool | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, bool):
        raise _fail(_join(at, key), value, "bool")
    return value


def get_string_map(obj: dict, key: str, at: str) -> dict[str, str] | None:
    """A `map[string]string` (labels, annotations, nodeSelector); `None` when absent."""
    if obj.get(key) is None:
        return None
    value = get_map(obj, key, at)
    for k, v in value.items():
        if not isinstance(v, str):
            raise _fail(f"{_join(at, key)}[{k}]", v, "string")
    return value


def get_int_or_string(obj: dict, key: str, at: str) -> int | str | None:
    """An `intstr.IntOrString` (maxUnavailable: 1 or "10%"); `None` when absent."""
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    return get_int(obj, key, at, "intstr.IntOrString")
