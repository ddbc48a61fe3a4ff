"""CronJob schedules, read the way Kubernetes reads them: robfig/cron's `ParseStandard`.

`parse_schedule` accepts exactly what `ParseStandard` accepts (five fields, month and weekday
names, `*`/`?`, ranges, steps, the @descriptors) and fails with robfig/cron's messages, so a
validation error reads like the API server's. It returns the equivalent plain five-field
expression, which croniter (the simulator's scheduler) is then asked to accept too.
"""
from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass, field
from typing import Mapping

from croniter import croniter

from .errors import go_quote

_DESCRIPTORS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}

_MONTHS = {name: i + 1 for i, name in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())}
_WEEKDAYS = {name: i for i, name in enumerate("sun mon tue wed thu fri sat".split())}
_INT64_MAX = 2**63 - 1


class ScheduleError(ValueError):
    """A schedule `ParseStandard` rejects; the text is robfig/cron's."""


@dataclass(frozen=True)
class _Bounds:
    low: int
    high: int
    names: Mapping[str, int] = field(default_factory=dict)


_FIELD_BOUNDS = (
    _Bounds(0, 59),  # minute
    _Bounds(0, 23),  # hour
    _Bounds(1, 31),  # day of month
    _Bounds(1, 12, _MONTHS),
    _Bounds(0, 6, _WEEKDAYS),
)


def zone_error(name: str) -> str | None:
    """Go's `time.LoadLocation` error for `name`, or None when the zone exists."""
    if name in ("", "UTC", "Local"):
        return None
    try:
        zoneinfo.ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # not found, malformed key, a directory
        return f"unknown time zone {name}"
    return None


def parse_schedule(schedule: str) -> str:
    """The five-field expression `schedule` stands for; raises `ScheduleError` if invalid."""
    if not schedule:
        raise ScheduleError("empty spec string")
    spec = _strip_time_zone(schedule)
    if spec.startswith("@"):
        try:
            return _DESCRIPTORS[spec]
        except KeyError:
            raise ScheduleError(f"unrecognized descriptor: {spec}") from None
    fields = spec.split()
    if len(fields) != len(_FIELD_BOUNDS):
        raise ScheduleError(f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]")
    expression = " ".join(_parse_field(text, bounds) for text, bounds in zip(fields, _FIELD_BOUNDS))
    if not croniter.is_valid(expression):
        raise ScheduleError(f"unsupported schedule: {schedule}")
    return expression


def _strip_time_zone(spec: str) -> str:
    """Drop a `TZ=Zone ` / `CRON_TZ=Zone ` prefix after checking the zone, as robfig/cron does."""
    if not spec.startswith(("TZ=", "CRON_TZ=")):
        return spec
    eq, space = spec.index("="), spec.find(" ")
    if space < 0:  # upstream slices spec[eq+1:-1] and recovers from the panic
        raise ScheduleError(f"recovered from panic: runtime error: slice bounds out of range [{eq + 1}:-1]")
    zone = spec[eq + 1 : space]
    error = zone_error(zone)
    if error:
        raise ScheduleError(f"provided bad location {zone}: {error}")
    return spec[space:].strip()


def _parse_field(text: str, bounds: _Bounds) -> str:
    parts = [_parse_range(expr, bounds) for expr in text.split(",") if expr]
    return ",".join(parts) if parts else text


def _parse_range(expr: str, bounds: _Bounds) -> str:
    """robfig/cron's `getRange`: `*`, `?`, `N`, `N-M`, each optionally `/step`."""
    range_and_step = expr.split("/")
    low_and_high = range_and_step[0].split("-")
    is_star = low_and_high[0] in ("*", "?")
    if is_star:
        start, end = bounds.low, bounds.high
    else:
        start = _parse_int_or_name(low_and_high[0], bounds.names)
        if len(low_and_high) == 1:
            end = start
        elif len(low_and_high) == 2:
            end = _parse_int_or_name(low_and_high[1], bounds.names)
        else:
            raise ScheduleError(f"too many hyphens: {expr}")

    if len(range_and_step) > 2:
        raise ScheduleError(f"too many slashes: {expr}")
    step = 1
    if len(range_and_step) == 2:
        step = _parse_int(range_and_step[1])
        if len(low_and_high) == 1:  # "N/step" means "N-max/step"
            end = bounds.high

    if start < bounds.low:
        raise ScheduleError(f"beginning of range ({start}) below minimum ({bounds.low}): {expr}")
    if end > bounds.high:
        raise ScheduleError(f"end of range ({end}) above maximum ({bounds.high}): {expr}")
    if start > end:
        raise ScheduleError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise ScheduleError(f"step of range should be a positive number: {expr}")

    text = "*" if is_star else str(start) if start == end else f"{start}-{end}"
    return f"{text}/{step}" if step != 1 and start != end else text


def _parse_int_or_name(expr: str, names: Mapping[str, int]) -> int:
    named = names.get(expr.lower())
    return _parse_int(expr) if named is None else named


def _parse_int(expr: str) -> int:
    """robfig/cron's `mustParseInt` on top of Go's `strconv.Atoi`."""
    if not re.fullmatch(r"[+-]?[0-9]+", expr):
        raise ScheduleError(
            f"failed to parse int from {expr}: strconv.Atoi: parsing {go_quote(expr)}: invalid syntax"
        )
    number = int(expr)
    if abs(number) > _INT64_MAX:
        raise ScheduleError(
            f"failed to parse int from {expr}: strconv.Atoi: parsing {go_quote(expr)}: value out of range"
        )
    if number < 0:
        raise ScheduleError(f"negative number ({number}) not allowed: {expr}")
    return number
