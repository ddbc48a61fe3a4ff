"""The kinds the simulated cluster serves, and the names kubectl accepts for them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from .errors import ManifestError


@dataclass(frozen=True)
class KindInfo:
    kind: str
    api_version: str
    resource: str  # plural, as in URLs
    namespaced: bool
    short_names: tuple[str, ...] = ()

    @property
    def group(self) -> str:
        """The API group, "" for the core group."""
        group, _, _ = self.api_version.rpartition("/")
        return group

    @property
    def version(self) -> str:
        return self.api_version.rpartition("/")[2]

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def qualified_kind(self) -> str:
        """`GroupKind.String()`: `DaemonSet.apps`, `Pod`."""
        return f"{self.kind}.{self.group}" if self.group else self.kind


KINDS: dict[str, KindInfo] = {
    info.kind: info
    for info in (
        KindInfo("Node", "v1", "nodes", False, ("no",)),
        KindInfo("Namespace", "v1", "namespaces", False, ("ns",)),
        KindInfo("Pod", "v1", "pods", True, ("po",)),
        KindInfo("Event", "v1", "events", True, ("ev",)),
        KindInfo("DaemonSet", "apps/v1", "daemonsets", True, ("ds",)),
        KindInfo("ControllerRevision", "apps/v1", "controllerrevisions", True),
        KindInfo("Job", "batch/v1", "jobs", True),
        KindInfo("CronJob", "batch/v1", "cronjobs", True, ("cj",)),
    )
}


def _spellings(info: KindInfo) -> set[str]:
    names = {info.singular, info.resource, *info.short_names}
    if not info.group:
        return names
    qualified = {f"{n}.{info.group}" for n in (info.singular, info.resource)}
    versioned = {f"{n}.{info.version}.{info.group}" for n in (info.singular, info.resource)}
    return names | qualified | versioned


_BY_SPELLING: dict[str, str] = {word: info.kind for info in KINDS.values() for word in _spellings(info)}


def resolve_resource(word: str) -> str:
    """The kind behind a kubectl resource word: `po`, `pods`, `ds`, `daemonsets.apps`, `cj`..."""
    try:
        return _BY_SPELLING[word.lower()]
    except KeyError:
        raise ManifestError(f'the server doesn\'t have a resource type "{word}"') from None


def kind_info(obj: Mapping[str, Any]) -> KindInfo:
    """The served kind of a manifest, or kubectl's "no matches" error."""
    kind, api_version = obj.get("kind"), obj.get("apiVersion")
    info = KINDS.get(kind) if isinstance(kind, str) else None
    if info is None or info.api_version != api_version:
        raise ManifestError(f'no matches for kind "{kind}" in version "{api_version}"')
    return info
