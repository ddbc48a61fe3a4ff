"""Strict decoding: the fields a manifest may hold, as the API server's Go types declare them.

The API server decodes a request into its Go structs; a field those do not declare is not
stored. `fieldValidation` says what else happens (kubectl sends `Strict` by default): `Strict`
fails the request (400, `strict decoding error: unknown field "spec.backofLimit"`), `Warn` (the
server's default) drops the field and answers with a warning, `Ignore` drops it silently.

The field names are in `schema.json`, generated from the official Python client's models
(`make_schema.py`), whose version is recorded there: that client is newer than 1.32, so a field
added since (`spec.managedBy` of a Job is older; `spec.scheduling` newer) is accepted too.
"""
from __future__ import annotations

import json
import re
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from .errors import ManifestError
from .kinds import kind_info

MODES = ("Strict", "Warn", "Ignore")
_mode: ContextVar[tuple[str, list[str]] | None] = ContextVar("field_validation", default=None)


@lru_cache(maxsize=1)
def _schema() -> dict:
    return json.loads(Path(__file__).with_name("schema.json").read_text())


def unknown_fields(obj: dict) -> list[tuple[str, tuple]]:
    """The fields of `obj` its kind's types do not declare, in document order: their paths as
    the API server prints them (`spec.template.spec.containers[0].comand`) and as key tuples."""
    schema = _schema()
    kind = schema["kinds"].get(obj.get("kind"))
    found: list[tuple[str, tuple]] = []
    if kind is None:
        return found
    types = schema["types"]

    def walk(value, type_name: str, path: str, keys: tuple) -> None:
        if type_name.startswith("[]"):
            if isinstance(value, list):
                for i, item in enumerate(value):
                    walk(item, type_name[2:], f"{path}[{i}]", keys + (i,))
            return
        if type_name.startswith("map[]"):
            if isinstance(value, dict):
                for k, item in value.items():
                    walk(item, type_name[5:], f"{path}[{k}]", keys + (k,))
            return
        fields = types[type_name]
        if not isinstance(value, dict):
            return          # a wrong JSON type: the decoder's typed reads report it
        for key, item in value.items():
            at = f"{path}.{key}" if path else key
            if key not in fields:
                found.append((at, keys + (key,)))
            elif fields[key] and item is not None:
                walk(item, fields[key], at, keys + (key,))

    walk(obj, kind, "", ())
    return found


def struct_of(kind: str, path: str) -> str:
    """The Go struct holding the last field of `path` (`spec.template.spec.containers[0].image`
    of a DaemonSet: `Container`); "" when the path leaves the known types."""
    schema = _schema()
    type_name = schema["kinds"].get(kind, "")
    owner = ""
    for key in re.findall(r"([^.\[\]]+)|\[[^\]]*\]", path):
        if not key:     # an index or a map key: into the list's or map's values
            type_name = type_name.split("]", 1)[1] if type_name.startswith(("[]", "map[]")) else ""
            continue
        fields = schema["types"].get(type_name)
        if fields is None:
            return owner
        if key not in fields:
            return type_name
        owner, type_name = type_name, fields[key]
    return owner


def prune(obj: dict, unknown: list[tuple[str, tuple]]) -> None:
    """Drop the unknown fields from `obj` in place (what decoding into Go structs does)."""
    for _, keys in unknown:
        parent = obj
        for key in keys[:-1]:
            parent = parent[key]
        parent.pop(keys[-1], None)


@contextmanager
def field_validation(mode: str) -> Iterator[list[str]]:
    """Decode the manifests of this block with `mode` (`Strict`, `Warn` or `Ignore`); yields
    the list the `Warn` warnings are added to. Without a block, decoding is `Strict`, as
    kubectl asks for by default (the command line, the dashboard and the admin)."""
    warnings: list[str] = []
    token = _mode.set((mode, warnings))
    try:
        yield warnings
    finally:
        _mode.reset(token)


def check(obj: dict) -> None:
    """Apply the current `fieldValidation` to a manifest about to be decoded: raise, or drop the
    unknown fields (in place), with a warning for `Warn`."""
    unknown = unknown_fields(obj)
    if not unknown:
        return
    mode, warnings = _mode.get() or ("Strict", [])
    if mode == "Strict":
        info = kind_info(obj)
        fields = ", ".join(f'unknown field "{path}"' for path, _ in unknown)
        raise ManifestError(
            f'{info.kind} in version "{info.version}" cannot be handled as a {info.kind}: strict decoding error: {fields}')
    if mode == "Warn":
        warnings.extend(f'unknown field "{path}"' for path, _ in unknown)
    prune(obj, unknown)
