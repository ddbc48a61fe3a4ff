"""Simulated time, per cluster, kept in the cluster's row so that every process agrees.

`SimClock(cluster).now()` is what every object timestamp comes from; nothing in the simulation
reads the wall clock. While the clock runs, the driver maps wall time to simulated time with
`sim = sim_anchor + (wall - wall_anchor) * speed`; resuming or changing speed re-anchors both.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.db.models import F

from cluster.models import Cluster

MIN_SPEED, MAX_SPEED = 1.0, 1000.0


def wall_now() -> datetime:
    """The wall clock: only for pacing the driver, never for simulated state."""
    return datetime.now(dt_timezone.utc)


class SimClock:
    def __init__(self, cluster: Cluster):
        self.cluster_id = cluster.pk

    def _row(self) -> Cluster:
        return Cluster.objects.get(pk=self.cluster_id)

    def now(self) -> datetime:
        return Cluster.objects.values_list("sim_now", flat=True).get(pk=self.cluster_id)

    def set(self, t: datetime) -> None:
        """Move the clock to `t` (never backwards)."""
        Cluster.objects.filter(pk=self.cluster_id, sim_now__lt=t).update(sim_now=t)

    def step(self, d: timedelta) -> datetime:
        Cluster.objects.filter(pk=self.cluster_id).update(sim_now=F("sim_now") + d)
        return self.now()

    # --- the driver's side: pause, resume, speed ------------------------------------------

    def target(self, wall: datetime | None = None) -> datetime:
        """Where simulated time should be now, given the wall clock (the driver's goal)."""
        row = self._row()
        if row.paused or row.wall_anchor is None:
            return row.sim_now
        wall = wall or wall_now()
        elapsed = max((wall - row.wall_anchor).total_seconds(), 0.0)
        return max(row.sim_now, row.sim_anchor + timedelta(seconds=elapsed * row.speed))

    def pause(self) -> None:
        Cluster.objects.filter(pk=self.cluster_id).update(paused=True)

    def resume(self, wall: datetime | None = None) -> None:
        row = self._row()
        Cluster.objects.filter(pk=self.cluster_id).update(
            paused=False, sim_anchor=row.sim_now, wall_anchor=wall or wall_now()
        )

    def set_speed(self, speed: float, wall: datetime | None = None) -> None:
        if not MIN_SPEED <= speed <= MAX_SPEED:
            raise ValueError(f"speed must be between {MIN_SPEED:g} and {MAX_SPEED:g}")
        row = self._row()
        Cluster.objects.filter(pk=self.cluster_id).update(
            speed=speed, sim_anchor=row.sim_now, wall_anchor=wall or wall_now()
        )
