"""Write `schema.json`: the field names of every API type the served kinds can hold.

The API server decodes a request strictly into its Go types, so a misspelt field is an error
(`strict decoding error: unknown field "spec.backofLimit"`), or is dropped with a warning. The
field names come from the official Python client's models (generated from Kubernetes' OpenAPI
schema; pinned in requirements-dev.txt), so nothing here is typed by hand:

    .venv/bin/python -m cluster.manifests.make_schema

Each type maps its JSON field names to the type of the value: another type's name, `[]Name`
(a list of them), `map[]Name` (a map of them), or "" (a scalar, a map or list of scalars, or a
free-form value such as an int-or-string).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

KINDS = {  # the served kinds -> the client's model names
    "Pod": "V1Pod", "Node": "V1Node", "Namespace": "V1Namespace", "Event": "CoreV1Event",
    "DaemonSet": "V1DaemonSet", "ControllerRevision": "V1ControllerRevision",
    "Job": "V1Job", "CronJob": "V1CronJob",
}
OUT = Path(__file__).with_name("schema.json")
_PREFIX = re.compile(r"^(?:Core|Events|Storage|Discovery|Flowcontrol)?V\d+(?:(?:alpha|beta)\d+)?")


def go_name(model: str) -> str:
    """`V1JobSpec` -> `JobSpec`, `CoreV1ResourceClaim` -> `ResourceClaim` (Go's struct names)."""
    return _PREFIX.sub("", model)


def build() -> dict:
    from kubernetes.client import models

    types: dict[str, dict[str, str]] = {}

    def visit(model: str) -> str:
        name = go_name(model)
        if name in types:
            return name
        cls = getattr(models, model)
        types[name] = fields = {}
        for attr, kind in cls.openapi_types.items():
            json_name = cls.attribute_map[attr]
            fields[json_name] = ""
            inner = re.fullmatch(r"(List\[|Dict\[str, )?(\w+)\]?", kind)
            if inner and hasattr(models, inner.group(2)) and inner.group(2)[0] in "VC":
                ref = visit(inner.group(2))
                fields[json_name] = {None: ref, "List[": f"[]{ref}", "Dict[str, ": f"map[]{ref}"}[inner.group(1)]
        return name

    kinds = {kind: visit(model) for kind, model in KINDS.items()}
    import kubernetes

    return {"source": f"kubernetes (Python client) {kubernetes.__version__}", "kinds": kinds,
            "types": {name: types[name] for name in sorted(types)}}


if __name__ == "__main__":
    OUT.write_text(json.dumps(build(), indent=0, sort_keys=False) + "\n")
    print(f"wrote {OUT}")
