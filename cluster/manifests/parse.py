"""Reading manifests as kubectl does: YAML or JSON, several documents, `List` kinds expanded."""
from __future__ import annotations

import json
import re
from typing import Any

import yaml

from .errors import ManifestError, aggregate


class _Loader(yaml.SafeLoader):
    """YAML as `sigs.k8s.io/yaml` reads it for JSON: timestamps stay strings."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

# PyYAML and libyaml (which go-yaml ports) word a few problems differently.
_LIBYAML_WORDING = (
    ("mapping values are not allowed here", "mapping values are not allowed in this context"),
    (re.compile(r"found character '.*?' that cannot start any token"), "found character that cannot start any token"),
)


def parse_documents(text: str, source: str = "STDIN") -> list[dict]:
    """The objects in a manifest: YAML or JSON, one or many documents, empty documents
    skipped, `List`s expanded into their items. `source` names the input in error messages.

    Raises `ManifestError` with kubectl's wording for unparseable input and for objects
    without apiVersion or kind."""
    documents = _load_json(text, source) if text.lstrip().startswith("{") else _load_yaml(text, source)
    objects: list[dict] = []
    for document in documents:
        if document is not None:
            objects.extend(_expand(document, source))
    return objects


def _load_json(text: str, source: str) -> list[Any]:
    decoder = json.JSONDecoder()
    documents, position = [], 0
    while True:
        position = len(text) - len(text[position:].lstrip())
        if position == len(text):
            return documents
        try:
            document, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise ManifestError(f"error parsing {source}: {exc}") from None
        documents.append(document)


def _load_yaml(text: str, source: str) -> list[Any]:
    try:
        return [_with_string_keys(d) for d in yaml.load_all(text, Loader=_Loader)]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}: " if mark else ""
        problem = _libyaml_wording(exc.problem or "")
        raise ManifestError(f"error parsing {source}: error converting YAML to JSON: yaml: {where}{problem}") from None
    except yaml.YAMLError as exc:
        raise ManifestError(f"error parsing {source}: error converting YAML to JSON: yaml: {exc}") from None


def _libyaml_wording(problem: str) -> str:
    for pattern, replacement in _LIBYAML_WORDING:
        problem = re.sub(pattern, replacement, problem)
    return problem


def _with_string_keys(value: Any) -> Any:
    """JSON objects only have string keys (`1: x` becomes `"1": x`, as in YAML-to-JSON)."""
    if isinstance(value, dict):
        return {_json_key(k): _with_string_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_string_keys(v) for v in value]
    return value


def _json_key(key: Any) -> str:
    if key is None or isinstance(key, bool):
        return json.dumps(key)
    return key if isinstance(key, str) else str(key)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return "string" if isinstance(value, str) else "array"


def _expand(document: Any, source: str) -> list[dict]:
    if not isinstance(document, dict):
        raise ManifestError(
            f"error parsing {source}: json: cannot unmarshal {_json_type(document)} "
            "into Go value of type map[string]interface {}"
        )
    missing = [f"{key} not set" for key in ("apiVersion", "kind") if not document.get(key)]
    if missing:
        raise ManifestError(
            f'error validating "{source}": error validating data: {aggregate(missing)}; '
            "if you choose to ignore these errors, turn validation off with --validate=false"
        )
    if _is_list(document):
        items = document.get("items") or []
        if not isinstance(items, list):
            raise ManifestError(f"error parsing {source}: items of a {document['kind']} must be a list")
        return [obj for item in items for obj in _expand(item, source)]
    return [document]


def _is_list(document: dict) -> bool:
    kind = document["kind"]
    return kind == "List" or (isinstance(kind, str) and kind.endswith("List") and "items" in document)
