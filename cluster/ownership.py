"""Server-side apply's field ownership: `metadata.managedFields` entries in the FieldsV1 form.

What is modelled (the part a class sees): each apply manager (`fieldManager`) owns the fields
of the configuration it applied last. Applying again without a field it owned removes that
field (unless another apply manager owns it too); applying a value to a field another apply
manager owns, with a different value, is a conflict (409, in the API server's words) unless
`force` is set, which takes the field over. Writes that are not applies (PUT, other patches, the
controllers) keep the entries as they are but are not recorded as owners, so they never
conflict: that part of the API server's bookkeeping is not modelled.

Paths are tuples of FieldsV1 keys: `f:<field>` for a map key, `k:{"name":"c"}` for a list item
found by its merge key (containers by name, ports by containerPort, ...). Other lists are owned
whole, as atomic lists are upstream.
"""
from __future__ import annotations

import json

from cluster.errors import Conflict
from cluster.patching import MERGE_KEYS

Path = tuple[str, ...]
NOT_OWNED = {("f:apiVersion",), ("f:kind",), ("f:metadata", "f:name"), ("f:metadata", "f:namespace"),
             ("f:metadata", "f:resourceVersion"), ("f:metadata", "f:uid"), ("f:metadata", "f:managedFields"),
             ("f:metadata", "f:creationTimestamp"), ("f:metadata", "f:generation")}


def _item_key(merge_key: str, item: dict) -> str:
    return "k:" + json.dumps({merge_key: item[merge_key]}, separators=(",", ":"))


def _keyed(name: str, value) -> str | None:
    merge_key = MERGE_KEYS.get(name)
    if merge_key and isinstance(value, list) and value and all(isinstance(i, dict) and merge_key in i for i in value):
        return merge_key
    return None


def field_set(obj: dict, path: Path = ()) -> set[Path]:
    """The fields an applied configuration sets (status is never applied to the main resource)."""
    out: set[Path] = set()
    for name, value in obj.items():
        here = (*path, f"f:{name}")
        if here in NOT_OWNED or (not path and name == "status"):
            continue
        merge_key = _keyed(name, value)
        if isinstance(value, dict) and value:
            out |= field_set(value, here)
        elif merge_key:
            for item in value:
                item_path = (*here, _item_key(merge_key, item))
                out.add(item_path)
                out |= field_set(item, item_path)
        else:
            out.add(here)
    return out


def to_fields_v1(paths: set[Path]) -> dict:
    tree: dict = {}
    for path in sorted(paths):
        node = tree
        for step in path:
            node = node.setdefault(step, {})
        if path and path[-1].startswith("k:"):
            node.setdefault(".", {})
    return tree


def from_fields_v1(tree: dict, path: Path = ()) -> set[Path]:
    out: set[Path] = set()
    for step, sub in (tree or {}).items():
        if step == ".":
            out.add(path)
            continue
        here = (*path, step)
        if sub:
            out |= from_fields_v1(sub, here)
        else:
            out.add(here)
    return out


_MISSING = object()


def _step(node, step: str):
    if step.startswith("f:") and isinstance(node, dict):
        return node.get(step[2:], _MISSING)
    if step.startswith("k:") and isinstance(node, list):
        wanted = json.loads(step[2:])
        for item in node:
            if isinstance(item, dict) and all(item.get(k) == v for k, v in wanted.items()):
                return item
    return _MISSING


def value_at(obj, path: Path):
    node = obj
    for step in path:
        node = _step(node, step)
        if node is _MISSING:
            return _MISSING
    return node


def remove(obj: dict, path: Path) -> None:
    """Remove the field (or list item) at `path`, if it is there."""
    parent = value_at(obj, path[:-1])
    step = path[-1]
    if step.startswith("f:") and isinstance(parent, dict):
        parent.pop(step[2:], None)
    elif step.startswith("k:") and isinstance(parent, list):
        item = _step(parent, step)
        if item is not _MISSING:
            parent.remove(item)


def readable(path: Path) -> str:
    """`.spec.template.spec.containers[name="c"].image`, as the API server words a path."""
    text = ""
    for step in path:
        if step.startswith("f:"):
            text += "." + step[2:]
        else:
            text += "[" + ",".join(f"{k}={json.dumps(v)}" for k, v in json.loads(step[2:]).items()) + "]"
    return text


def _entries(obj: dict) -> list[dict]:
    return list((obj.get("metadata") or {}).get("managedFields") or [])


def apply(current: dict, applied: dict, *, manager: str, force: bool, now: str) -> dict:
    """The object after `manager` applies `applied` to `current` (both plain dicts, `current`
    not changed): fields it stopped applying removed, conflicts refused, ownership recorded.
    The caller merges `applied` into the result afterwards (`patching.apply_patch`)."""
    entries = _entries(current)
    mine: set[Path] = set()
    others: dict[int, set[Path]] = {}
    for i, entry in enumerate(entries):
        if entry.get("operation") != "Apply":
            continue
        fields = from_fields_v1(entry.get("fieldsV1") or {})
        if entry.get("manager") == manager:
            mine = fields
        else:
            others[i] = fields
    wanted = field_set(applied)
    # A list item's own entry ("k:...") says it exists: managers share it; values conflict.
    conflicts = [(i, path) for path in sorted(wanted) if not path[-1].startswith("k:")
                 for i, fields in others.items() if path in fields and value_at(current, path) != value_at(applied, path)]
    if conflicts and not force:
        count = len(conflicts)
        lines = [f'conflict with "{entries[i].get("manager")}": {readable(path)}' for i, path in conflicts]
        message = (f"Apply failed with {count} conflict{'s' if count > 1 else ''}: " + "\n".join(lines)
                   if count > 1 else f"Apply failed with 1 conflict: {lines[0]}")
        raise Conflict(message, details={"causes": [{"reason": "FieldManagerConflict", "message": line,
                                            "field": readable(path)} for line, (_, path) in zip(lines, conflicts)]})
    for i, path in conflicts:  # forced: the field changes hands
        others[i].discard(path)
    owned_by_others = set().union(*others.values()) if others else set()
    result = json.loads(json.dumps(current))
    for path in sorted(mine - wanted - owned_by_others, key=len, reverse=True):
        remove(result, path)
    kept = []
    for i, entry in enumerate(entries):
        if entry.get("operation") == "Apply" and entry.get("manager") == manager:
            continue
        if i in others:
            if not others[i]:
                continue
            entry = {**entry, "fieldsV1": to_fields_v1(others[i])}
        kept.append(entry)
    kept.append({"manager": manager, "operation": "Apply", "apiVersion": applied.get("apiVersion", ""),
                 "time": now, "fieldsType": "FieldsV1", "fieldsV1": to_fields_v1(wanted)})
    result.setdefault("metadata", {})["managedFields"] = kept
    return result


def created_by_apply(applied: dict, *, manager: str, now: str) -> list[dict]:
    """The managedFields of an object that an apply creates."""
    return [{"manager": manager, "operation": "Apply", "apiVersion": applied.get("apiVersion", ""),
             "time": now, "fieldsType": "FieldsV1", "fieldsV1": to_fields_v1(field_set(applied))}]
