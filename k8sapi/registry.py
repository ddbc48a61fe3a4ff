"""What the API serves: the cluster's kinds (`cluster.kinds`), their verbs and subresources.

Discovery, the OpenAPI stub and the URL router are all generated from this one table, so a
resource is either served everywhere or nowhere (kubectl caches discovery for hours).
"""
from __future__ import annotations

from dataclasses import dataclass

from cluster.kinds import RESOURCES, Resource

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
READ_VERBS = frozenset({"get", "list", "watch"})


@dataclass(frozen=True)
class Subresource:
    name: str
    verbs: tuple[str, ...]
    # the kind the subresource answers with, when it is not the parent's (pods/eviction)
    group: str | None = None
    version: str | None = None
    kind: str | None = None


STATUS = Subresource("status", ("get", "patch", "update"))
SUBRESOURCES: dict[str, tuple[Subresource, ...]] = {
    "Pod": (
        Subresource("eviction", ("create",), group="policy", version="v1", kind="Eviction"),
        Subresource("log", ("get",)),
        STATUS,
    ),
    "Node": (STATUS,),
    "Namespace": (STATUS,),
    "DaemonSet": (STATUS,),
    "Job": (STATUS,),
    "CronJob": (STATUS,),
}


def verbs(res: Resource) -> tuple[str, ...]:
    """Namespaces have no deletecollection (as upstream); everything else has every verb."""
    if res.kind == "Namespace":
        return tuple(v for v in ALL_VERBS if v != "deletecollection")
    return ALL_VERBS


def subresources(res: Resource) -> tuple[Subresource, ...]:
    return SUBRESOURCES.get(res.kind, ())


def subresource(res: Resource, name: str) -> Subresource | None:
    return next((s for s in subresources(res) if s.name == name), None)


def group_versions() -> list[tuple[str, str]]:
    """(group, version) pairs in preference order, the core group first."""
    seen: list[tuple[str, str]] = []
    for res in RESOURCES:
        if (res.group, res.version) not in seen:
            seen.append((res.group, res.version))
    return seen


def resources_in(group: str, version: str) -> list[Resource]:
    return [r for r in RESOURCES if r.group == group and r.version == version]


def by_plural(group: str, version: str, plural: str) -> Resource | None:
    return next((r for r in resources_in(group, version) if r.plural == plural), None)
