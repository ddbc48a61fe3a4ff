"""API errors, shaped as Kubernetes `Status` objects and printed as kubectl prints them."""
from __future__ import annotations

from cluster.kinds import resource_for


class ApiError(Exception):
    code = 500
    reason = "InternalError"

    def __init__(self, message: str, *, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}

    def status(self) -> dict:
        body = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            body["details"] = self.details
        return body

    def kubectl_message(self) -> str:
        """What kubectl prints for this error."""
        return f"Error from server ({self.reason}): {self.message}"


def _resource_details(kind: str, name: str) -> tuple[str, dict]:
    res = resource_for(kind)
    details = {"name": name, "kind": res.plural}
    if res.group:
        details["group"] = res.group
    return res.qualified, details


class NotFound(ApiError):
    code = 404
    reason = "NotFound"

    @classmethod
    def of(cls, kind: str, name: str) -> "NotFound":
        qualified, details = _resource_details(kind, name)
        return cls(f'{qualified} "{name}" not found', details=details)


class AlreadyExists(ApiError):
    code = 409
    reason = "AlreadyExists"

    @classmethod
    def of(cls, kind: str, name: str) -> "AlreadyExists":
        qualified, details = _resource_details(kind, name)
        return cls(f'{qualified} "{name}" already exists', details=details)


class Conflict(ApiError):
    code = 409
    reason = "Conflict"

    @classmethod
    def of(cls, kind: str, name: str) -> "Conflict":
        qualified, details = _resource_details(kind, name)
        return cls(
            f'Operation cannot be fulfilled on {qualified} "{name}": the object has been modified; '
            "please apply your changes to the latest version and try again",
            details=details,
        )


class InvalidOptions(ApiError):
    """Request options the API server's validation refuses (e.g. an apply without fieldManager)."""

    code = 422
    reason = "Invalid"

    @classmethod
    def field_required(cls, kind: str, field: str, detail: str) -> "InvalidOptions":
        return cls(f'{kind}.meta.k8s.io "" is invalid: {field}: Required value: {detail}',
                   details={"group": "meta.k8s.io", "kind": kind, "causes": [
                       {"reason": "FieldValueRequired", "message": f"Required value: {detail}", "field": field}]})


class BadRequest(ApiError):
    code = 400
    reason = "BadRequest"


class Forbidden(ApiError):
    code = 403
    reason = "Forbidden"


class Invalid(ApiError):
    """Wraps the manifests' InvalidError so the store raises one family of errors."""

    code = 422
    reason = "Invalid"

    def __init__(self, invalid):
        self.invalid = invalid
        super().__init__(str(invalid))

    def status(self) -> dict:
        return self.invalid.status()

    def kubectl_message(self) -> str:
        return self.message
