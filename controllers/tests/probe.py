"""A test-only reconciler for the scale-out test: records when each run of a key starts and
ends, in which process, so the test can prove that no key ever ran twice at once."""
from __future__ import annotations

import os
import time

from controllers.engine import Result, Step, register
from controllers.models import Decision

RUN_SECONDS = 0.02


def probe(step: Step, names: list[str]) -> dict[str, Result]:
    for name in names:
        started = time.time()
        while time.time() - started < RUN_SECONDS:  # a reconcile that takes a little while
            Decision.objects.filter(cluster=step.cluster, controller="probe", name=name).exists()
        Decision.objects.create(cluster=step.cluster, time=step.now, controller="probe", verb="run", name=name,
                                message=f"{os.getpid()} {started:.6f} {time.time():.6f}")
    return {name: Result.done() for name in names}


register("probe", probe)
