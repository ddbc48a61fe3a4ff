"""The kinds the simulated cluster serves: their API group, resource names and scope."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Resource:
    kind: str
    group: str  # "" for the core group
    version: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def resource(self) -> str:
        """The plural, as in URLs."""
        return self.plural

    @property
    def qualified_kind(self) -> str:
        """`GroupKind.String()`: `DaemonSet.apps`, `Pod`."""
        return f"{self.kind}.{self.group}" if self.group else self.kind

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def qualified(self) -> str:
        """`pods`, `daemonsets.apps`: how error messages name the resource."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def kubectl_name(self) -> str:
        """`pod`, `daemonset.apps`: how kubectl names one object (`daemonset.apps/x created`)."""
        return f"{self.singular}.{self.group}" if self.group else self.singular


RESOURCES: tuple[Resource, ...] = (
    Resource("Node", "", "v1", "nodes", False, ("no",)),
    Resource("Namespace", "", "v1", "namespaces", False, ("ns",)),
    Resource("Pod", "", "v1", "pods", True, ("po",), ("all",)),
    Resource("Event", "", "v1", "events", True, ("ev",)),
    Resource("DaemonSet", "apps", "v1", "daemonsets", True, ("ds",), ("all",)),
    Resource("ControllerRevision", "apps", "v1", "controllerrevisions", True),
    Resource("Job", "batch", "v1", "jobs", True, (), ("all",)),
    Resource("CronJob", "batch", "v1", "cronjobs", True, ("cj",), ("all",)),
)

BY_KIND: dict[str, Resource] = {r.kind: r for r in RESOURCES}


class UnknownResource(LookupError):
    pass


def resource_for(kind: str) -> Resource:
    try:
        return BY_KIND[kind]
    except KeyError:
        raise UnknownResource(kind) from None


def _words(r: Resource) -> set[str]:
    words = {r.kind.lower(), r.plural, *r.short_names}
    if r.group:
        words |= {f"{w}.{r.group}" for w in (r.kind.lower(), r.plural)}
        words |= {f"{w}.{r.version}.{r.group}" for w in (r.kind.lower(), r.plural)}
    return words


_BY_WORD: dict[str, Resource] = {w: r for r in RESOURCES for w in _words(r)}


def resolve(word: str) -> Resource:
    """A resource from any spelling kubectl accepts: `po`, `pods`, `ds`, `daemonsets.apps`..."""
    try:
        return _BY_WORD[word.lower()]
    except KeyError:
        raise UnknownResource(f'the server doesn\'t have a resource type "{word}"') from None


def resource_for_manifest(api_version: str, kind: str) -> Resource:
    r = BY_KIND.get(kind)
    if r is None or r.api_version != api_version:
        raise UnknownResource(
            f'resource mapping not found for name: "" namespace: "" from "": '
            f'no matches for kind "{kind}" in version "{api_version}"'
        )
    return r
