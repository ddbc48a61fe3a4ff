"""Kubernetes timestamps: RFC 3339 in UTC with second precision ("2026-01-01T00:02:10Z")."""
from __future__ import annotations

from datetime import datetime, timezone


def format_time(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str | datetime) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def parse_optional_time(value: str | datetime | None) -> datetime | None:
    """parse_time, with None (or "") for an unset timestamp."""
    return parse_time(value) if value else None
