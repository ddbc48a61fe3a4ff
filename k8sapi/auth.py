"""Who is asking (bearer tokens) and whether they may (anonymous reads of public clusters only).

The rules are deliberately small: a valid token for the cluster (or for every cluster) may do
anything; without one, a public cluster can be read and nothing else. Version, discovery and
OpenAPI are open to all: they hold no cluster state (every cluster serves the same kinds), and
a refusal there would reach kubectl only as `Error from server (Forbidden): unknown`, where a
refusal of the list itself names the user, verb and resource. Refusals are worded as
kube-apiserver's authorizer words them, so kubectl prints the familiar
`Error from server (Forbidden): pods is forbidden: User "system:anonymous" cannot create ...`.
"""
from __future__ import annotations

from dataclasses import dataclass

from cluster.errors import ApiError, Forbidden
from cluster.models import Cluster
from k8sapi.models import ApiToken, digest
from k8sapi.registry import READ_VERBS
from k8sapi.routes import ResourcePath

ANONYMOUS = "system:anonymous"


class Unauthorized(ApiError):
    code = 401
    reason = "Unauthorized"

    def __init__(self) -> None:
        super().__init__("Unauthorized")


@dataclass(frozen=True)
class Identity:
    name: str
    allowed: bool  # holds a token valid for this cluster

    @property
    def anonymous(self) -> bool:
        return self.name == ANONYMOUS


def authenticate(authorization: str | None, cluster: Cluster) -> Identity:
    """The identity behind an `Authorization` header; 401 for a token that is not ours."""
    if not authorization:
        return Identity(ANONYMOUS, False)
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized()
    row = ApiToken.objects.select_related("user").filter(key_hash=digest(token)).first()
    if row is None or not row.user.is_active:
        raise Unauthorized()
    return Identity(row.user.get_username(), row.cluster_id in (None, cluster.pk))


def authorize(identity: Identity, cluster: Cluster, verb: str, route: ResourcePath) -> None:
    if identity.allowed or (cluster.public and verb in READ_VERBS):
        return
    res = route.resource
    resource = f"{res.plural}/{route.subresource}" if route.subresource else res.plural
    where = f'in the namespace "{route.namespace}"' if route.namespace else "at the cluster scope"
    reason = f'User "{identity.name}" cannot {verb} resource "{resource}" in API group "{res.group}" {where}'
    subject = f'{res.qualified} "{route.name}"' if route.name else res.qualified
    details = {"kind": res.plural}
    if route.name:
        details["name"] = route.name
    if res.group:
        details["group"] = res.group
    raise Forbidden(f"{subject} is forbidden: {reason}", details=details)
