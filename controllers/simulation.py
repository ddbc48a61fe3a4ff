"""Clock controls for a cluster, shared by `manage.py sim`, the admin and the dashboard."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from cluster.clock import SimClock
from cluster.models import Cluster
from controllers import queue
from controllers.engine import Engine

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """`90s`, `5m`, `1h30m`, `2d`, `1.5s` (a bare number is seconds)."""
    text = text.strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return timedelta(seconds=float(text))
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"invalid duration {text!r} (use e.g. 90s, 5m, 1h30m)")
    return timedelta(seconds=sum(float(n) * _UNITS[u] for n, u in parts))


@dataclass(frozen=True)
class SimStatus:
    cluster: str
    now: datetime
    paused: bool
    speed: float
    queued: int
    next_due: datetime | None

    def __str__(self) -> str:
        state = "paused" if self.paused else f"running at {self.speed:g}x"
        due = f", next due {self.next_due:%Y-%m-%d %H:%M:%S}" if self.next_due else ""
        return f"cluster {self.cluster}: {self.now:%Y-%m-%d %H:%M:%S}, {state}, {self.queued} key(s) queued{due}"


def status(cluster: Cluster) -> SimStatus:
    cluster.refresh_from_db()
    return SimStatus(cluster.name, cluster.sim_now, cluster.paused, cluster.speed,
                     queue.pending(cluster), queue.next_due(cluster))


def _reanchor(cluster: Cluster) -> None:
    """After jumping time by hand, restart the wall-to-sim mapping from here."""
    cluster.refresh_from_db()
    if not cluster.paused:
        SimClock(cluster).resume()


def step(cluster: Cluster) -> bool:
    """Run the next batch of due work, jumping the clock to it (works while paused)."""
    engine = Engine(cluster)
    nxt = queue.next_due(cluster)
    ran = engine.step(until=nxt) if nxt else False
    _reanchor(cluster)
    return ran


def advance(cluster: Cluster, by: timedelta) -> int:
    steps = Engine(cluster).advance(by)
    _reanchor(cluster)
    return steps


def run_until_idle(cluster: Cluster, horizon: timedelta = timedelta(days=1)) -> int:
    steps = Engine(cluster).run_until_idle(horizon=horizon)
    _reanchor(cluster)
    return steps


def pause(cluster: Cluster) -> None:
    SimClock(cluster).pause()


def resume(cluster: Cluster) -> None:
    SimClock(cluster).resume()


def set_speed(cluster: Cluster, speed: float) -> None:
    SimClock(cluster).set_speed(speed)
