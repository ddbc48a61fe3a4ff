"""The 422 Invalid error: kubectl's text and the API server's Status body."""
from __future__ import annotations

from typing import Sequence

from .errors import FieldError, aggregate, go_quote
from .kinds import KINDS


class InvalidError(Exception):
    """An object that failed validation. `str()` is what kubectl prints:
    `The DaemonSet "x" is invalid: <error>` or `... is invalid: [<e1>, <e2>]`."""

    def __init__(self, kind: str, name: str, errors: Sequence[FieldError]) -> None:
        self.kind = kind
        self.name = name
        self.errors = list(errors)
        super().__init__(self._described(f"The {kind}"))

    def _described(self, subject: str) -> str:
        text = f"{subject} {go_quote(self.name)} is invalid"
        return f"{text}: {aggregate(str(e) for e in self.errors)}" if self.errors else text

    def status(self) -> dict:
        """The `Status` body an API server answers with (HTTP 422)."""
        info = KINDS.get(self.kind)
        group = {"group": info.group} if info and info.group else {}  # omitempty
        details = {
            "name": self.name,
            **group,
            "kind": self.kind,
            "causes": [{"reason": e.reason, "message": e.body(), "field": e.field} for e in self.errors],
        }
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self._described(info.qualified_kind if info else self.kind),
            "reason": "Invalid",
            "details": details,
            "code": 422,
        }
