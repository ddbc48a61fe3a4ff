"""Content negotiation: which representation a client asked for, and what a body contains.

The representation is decided by media-type *parameters*, not by the type alone: kubectl asks
for `application/json;as=Table;v=v1;g=meta.k8s.io` (server-side printing) and for
`application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList` (aggregated discovery),
each followed by plain `application/json` as the fallback. The first entry we can serve wins.
Protobuf is never served: JSON is the answer even where a client lists protobuf first.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field

from cluster.patching import UnsupportedMediaType

TABLE_GROUP = "meta.k8s.io"
TABLE_VERSIONS = ("v1", "v1beta1")
DISCOVERY_GROUP = "apidiscovery.k8s.io"
DISCOVERY_VERSIONS = ("v2", "v2beta1")
JSON_TYPES = {"application/json", "application/*", "*/*"}


@dataclass(frozen=True)
class MediaType:
    """One media range of an Accept or Content-Type header, with its parameters."""

    type: str
    params: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> "MediaType":
        main, *rest = text.split(";")
        params = {}
        for item in rest:
            key, _, value = item.partition("=")
            if key.strip():
                params[key.strip().lower()] = value.strip().strip('"')
        return cls(main.strip().lower(), params)


def parse_accept(header: str | None) -> list[MediaType]:
    """The media ranges in preference order (q-values honoured, stable for equal q)."""
    if not header or not header.strip():
        return [MediaType("application/json")]
    ranges = [MediaType.parse(part) for part in header.split(",") if part.strip()]

    def quality(media: MediaType) -> float:
        try:
            return float(media.params.get("q", "1"))
        except ValueError:
            return 0.0

    return sorted((m for m in ranges if quality(m) > 0), key=quality, reverse=True)


class Kind(enum.Enum):
    JSON = "json"
    TABLE = "table"
    DISCOVERY = "discovery"


@dataclass(frozen=True)
class Representation:
    kind: Kind
    version: str = ""  # the Table or discovery API version asked for (v1, v1beta1, v2, v2beta1)

    @property
    def content_type(self) -> str:
        if self.kind is Kind.DISCOVERY:
            return f"application/json;g={DISCOVERY_GROUP};v={self.version};as=APIGroupDiscoveryList"
        return "application/json"


JSON = Representation(Kind.JSON)


def _special(media: MediaType) -> Representation | None:
    params = media.params
    if params.get("as") == "Table" and params.get("g") == TABLE_GROUP and params.get("v") in TABLE_VERSIONS:
        return Representation(Kind.TABLE, params["v"])
    if (params.get("as") == "APIGroupDiscoveryList" and params.get("g") == DISCOVERY_GROUP
            and params.get("v") in DISCOVERY_VERSIONS):
        return Representation(Kind.DISCOVERY, params["v"])
    return None


def choose(accept: str | None, offers: frozenset[Kind] = frozenset()) -> Representation:
    """The first acceptable representation among JSON and `offers` (Table, discovery).

    A client that only lists types we cannot produce (protobuf, CBOR) gets JSON anyway: every
    Kubernetes client decodes JSON, and a 406 would only turn a working request into an error.
    """
    for media in parse_accept(accept):
        if media.type not in JSON_TYPES:
            continue
        special = _special(media)
        if special is not None:
            if special.kind in offers:
                return special
            continue
        if "as" not in media.params:
            return JSON
    return JSON


PATCH_TYPES = {
    "application/merge-patch+json": "merge",
    "application/json-patch+json": "json",
    "application/strategic-merge-patch+json": "strategic",
    "application/apply-patch+yaml": "apply",
}


def patch_type(content_type: str | None) -> str:
    """The store's patch type for a PATCH request's Content-Type (415 for anything else)."""
    media = MediaType.parse(content_type or "")
    try:
        return PATCH_TYPES[media.type]
    except KeyError:
        supported = ", ".join(PATCH_TYPES)
        raise UnsupportedMediaType(
            f"the body of the request was in an unknown format - accepted media types include: {supported}"
        ) from None


def is_yaml(content_type: str | None) -> bool:
    media = MediaType.parse(content_type or "")
    return media.type in ("application/yaml", "application/x-yaml", "text/yaml", "application/apply-patch+yaml")
