"""Server-side printing: `meta.k8s.io` Tables with the shared printers' columns and cells.

kubectl only lays the Table out; the columns and cells (STATUS, READY, AGE...) are the
server's (`cluster.printers`), which is how `kubectl get` shows the simulator's view with the
simulated clock. The Table is written straight to JSON bytes, reusing each cached object's
encoded metadata and its encoded cells (`k8sapi.cache.Item`), so a row is printed again only
when its object has moved. The cells that read the clock (ages...) stay holes in a
`cache.Template` of the whole Table, filled per request (`table_template`), so a list after the
clock moved costs one splice. It is the same document as `printers.api_table` builds (a test
holds them equal, byte for byte).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cluster import printers
from cluster.errors import BadRequest
from k8sapi.cache import Item, Template, TemplateBuilder, encode

INCLUDE_OBJECT = ("Metadata", "Object", "None")


@dataclass(frozen=True)
class TableOptions:
    """A request for Table output: the meta.k8s.io version asked for, and `includeObject`."""

    version: str  # v1 or v1beta1
    include: str  # Metadata, Object or None


def include_object(value: str | None) -> str:
    """The `includeObject` query parameter (Metadata by default; --sort-by asks for Object)."""
    value = value or "Metadata"
    if value not in INCLUDE_OBJECT:
        raise BadRequest(f"includeObject: Unsupported value: \"{value}\": supported values: "
                         + ", ".join(f'"{v}"' for v in INCLUDE_OBJECT))
    return value


def table_template(kind: str, items: list[Item], *, include: str, resource_version: int | str,
                   version: str = "v1", with_columns: bool = True) -> Template:
    """A Table of `items` (all of `kind`) as of `resource_version`, columns even when empty, with
    its clock's cells left open (`Template.at(now)` fills them).

    In a watch only the first event carries the column definitions (`with_columns`); the later
    ones leave them null and kubectl keeps using the first ones."""
    columns = [c.as_dict() for c in printers.COLUMNS[kind]] if with_columns else None
    head = encode({"kind": "Table", "apiVersion": f"meta.k8s.io/{version}",
                   "metadata": {"resourceVersion": str(resource_version)}, "columnDefinitions": columns})
    out = TemplateBuilder()
    add, add_template = out.add, out.add_template
    add(head[:-1] + b',"rows":[')
    for i, item in enumerate(items):
        add(b'{"cells":' if i == 0 else b',{"cells":')
        add_template(item.cells)
        if include == "Metadata":
            add(b',"object":' + item.metadata_json + b"}")
        elif include == "Object":
            add(b',"object":' + item.json + b"}")
        else:
            add(b"}")
    add(b"]}")
    return out.build()


def table_json(kind: str, items: list[Item], now: datetime, *, include: str, resource_version: int | str,
               version: str = "v1", with_columns: bool = True) -> bytes:
    """`table_template` printed at simulated time `now`."""
    return table_template(kind, items, include=include, resource_version=resource_version, version=version,
                          with_columns=with_columns).at(now)


def list_json(kind: str, api_version: str, items: list[Item], resource_version: int) -> bytes:
    """`PodList`, `DaemonSetList`...: the full objects (what -o yaml and the Python client read)."""
    head = encode({"kind": f"{kind}List", "apiVersion": api_version,
                   "metadata": {"resourceVersion": str(resource_version)}})
    return head[:-1] + b',"items":[' + b",".join(item.json for item in items) + b"]}"
