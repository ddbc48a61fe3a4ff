"""Patch formats the API accepts: JSON merge, JSON patch, strategic merge, and apply.

Strategic merge is implemented for the fields of the kinds we serve: lists that Kubernetes
merges by a key (containers by `name`, taints by `key`, ...) merge element by element; other
lists are replaced. The `$patch`, `$setElementOrder` and `$deleteFromPrimitiveList` directives
that kubectl sends are understood.
"""
from __future__ import annotations

import copy

import jsonpatch

from cluster.errors import ApiError, BadRequest

# where client-side `kubectl apply` keeps the configuration it applied last (three_way_patch's "original")
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

# field name -> merge key, as in the Kubernetes Go types' `patchMergeKey` tags
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "imagePullSecrets": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "ports": "containerPort",
    "conditions": "type",
    "ownerReferences": "uid",
    "taints": None,  # atomic list in the API (NodeSpec.Taints): replaced
    "tolerations": None,  # atomic list in the API: replaced
    "addresses": "type",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
}


class UnprocessablePatch(ApiError):
    """A JSON patch that cannot be applied (the API server answers 422)."""

    code = 422
    reason = "Invalid"


class UnsupportedMediaType(ApiError):
    code = 415
    reason = "UnsupportedMediaType"


def merge_patch(target, patch):
    """RFC 7386."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def strategic_merge(target, patch, field: str = ""):
    if isinstance(patch, dict):
        if patch.get("$patch") == "replace":
            return {k: v for k, v in copy.deepcopy(patch).items() if k != "$patch"}
        if patch.get("$patch") == "delete":
            return None
        result = copy.deepcopy(target) if isinstance(target, dict) else {}
        for key, value in patch.items():
            if key.startswith("$setElementOrder/") or key == "$retainKeys" or key == "$patch":
                continue
            if key.startswith("$deleteFromPrimitiveList/"):
                name = key.split("/", 1)[1]
                result[name] = [v for v in result.get(name, []) if v not in value]
                continue
            if value is None:
                result.pop(key, None)
                continue
            merged = strategic_merge(result.get(key), value, key)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        _apply_element_order(result, patch)
        return result
    if isinstance(patch, list):
        merge_key = MERGE_KEYS.get(field)
        if merge_key and isinstance(target, list):
            return _merge_list(target, patch, merge_key)
        return [item for item in copy.deepcopy(patch) if not _is_directive(item)]
    return copy.deepcopy(patch)


def _is_directive(item) -> bool:
    return isinstance(item, dict) and "$patch" in item and len(item) <= 2


def _merge_list(target: list, patch: list, key: str) -> list:
    result = copy.deepcopy(target)
    for item in patch:
        if not isinstance(item, dict):
            result.append(copy.deepcopy(item))
            continue
        if item.get("$patch") == "replace":
            return [i for i in copy.deepcopy(patch) if i.get("$patch") != "replace"]
        index = next((i for i, e in enumerate(result) if isinstance(e, dict) and e.get(key) == item.get(key)), None)
        if item.get("$patch") == "delete":
            if index is not None:
                result.pop(index)
            continue
        if index is None:
            result.append(strategic_merge({}, item))
        else:
            result[index] = strategic_merge(result[index], item)
    return result


def _apply_element_order(result: dict, patch: dict) -> None:
    for key, order in patch.items():
        if not key.startswith("$setElementOrder/"):
            continue
        field = key.split("/", 1)[1]
        merge_key = MERGE_KEYS.get(field)
        items = result.get(field)
        if not merge_key or not isinstance(items, list):
            continue
        rank = {o.get(merge_key): i for i, o in enumerate(order) if isinstance(o, dict)}
        items.sort(key=lambda e: rank.get(e.get(merge_key), len(rank)))


def apply_patch(obj: dict, body, patch_type: str) -> dict:
    if patch_type == "merge":
        if not isinstance(body, dict):
            raise BadRequest("a merge patch must be a JSON object")
        return merge_patch(obj, body)
    if patch_type == "strategic":
        if not isinstance(body, dict):
            raise BadRequest("a strategic merge patch must be a JSON object")
        return strategic_merge(obj, body)
    if patch_type == "apply":
        if not isinstance(body, dict):
            raise BadRequest("an apply patch must be an object")
        return strategic_merge(obj, body)
    if patch_type == "json":
        try:
            return jsonpatch.apply_patch(obj, body)
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, TypeError) as exc:
            raise UnprocessablePatch(f"the server rejected our request due to an error in our request: {exc}") from None
    raise UnsupportedMediaType(f"the patch type {patch_type!r} is not supported")


def three_way_patch(original: dict | None, modified: dict, current: dict) -> dict:
    """What `kubectl apply` sends: set what the manifest says, drop what it stopped saying."""
    patch: dict = {}
    for key, value in modified.items():
        live = current.get(key) if isinstance(current, dict) else None
        orig = original.get(key) if isinstance(original, dict) else None
        if isinstance(value, dict) and isinstance(live, dict):
            sub = three_way_patch(orig if isinstance(orig, dict) else None, value, live)
            if sub:
                patch[key] = sub
        elif isinstance(value, list) and isinstance(live, list) and MERGE_KEYS.get(key) and _same_keys(value, live, MERGE_KEYS[key]):
            merged = [three_way_patch(_by_key(orig, MERGE_KEYS[key], v), v, _by_key(live, MERGE_KEYS[key], v)) for v in value]
            if any(merged):
                patch[key] = [dict(m, **{MERGE_KEYS[key]: v[MERGE_KEYS[key]]}) for m, v in zip(merged, value)]
        elif live != value:
            patch[key] = copy.deepcopy(value)
            merge_key = MERGE_KEYS.get(key)
            if merge_key and isinstance(value, list) and isinstance(orig, list):
                # what the manifest stopped listing is deleted, as kubectl's patch says it
                kept = {v.get(merge_key) for v in value if isinstance(v, dict)}
                patch[key] += [{merge_key: o[merge_key], "$patch": "delete"} for o in orig
                               if isinstance(o, dict) and o.get(merge_key) not in kept]
    for key in (original or {}):
        if key not in modified:
            patch[key] = None
    return patch


def _same_keys(a: list, b: list, key: str) -> bool:
    return all(isinstance(x, dict) for x in a + b) and [x.get(key) for x in a] == [x.get(key) for x in b]


def _by_key(items, key: str, like: dict) -> dict:
    for item in items or []:
        if isinstance(item, dict) and item.get(key) == like.get(key):
            return item
    return {}
