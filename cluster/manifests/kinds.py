"""The kinds the simulated cluster serves (`cluster.kinds`), as the manifests code names them."""
from __future__ import annotations

from typing import Any, Mapping

from cluster.kinds import BY_KIND, Resource, UnknownResource, resolve

from .errors import ManifestError

KindInfo = Resource
KINDS: dict[str, KindInfo] = BY_KIND


def resolve_resource(word: str) -> str:
    """The kind behind a kubectl resource word: `po`, `pods`, `ds`, `daemonsets.apps`, `cj`..."""
    try:
        return resolve(word).kind
    except UnknownResource as exc:
        raise ManifestError(str(exc)) from None


def kind_info(obj: Mapping[str, Any]) -> KindInfo:
    """The served kind of a manifest, or kubectl's "no matches" error."""
    kind, api_version = obj.get("kind"), obj.get("apiVersion")
    info = KINDS.get(kind) if isinstance(kind, str) else None
    if info is None or info.api_version != api_version:
        raise ManifestError(f'no matches for kind "{kind}" in version "{api_version}"')
    return info
