"""The dashboard's own state: which classroom scenario a cluster is playing, and at which step.

Not Kubernetes state (that lives in `cluster`, written by the store): this is the presenter's
bookmark, kept in the database so that every server process and every browser agrees on it.
"""
from django.db import models


class ScenarioState(models.Model):
    cluster_name = models.SlugField(max_length=63, unique=True)
    scenario = models.SlugField(max_length=63)
    step = models.PositiveIntegerField(default=1)
    # {"marks": {"<step>": <first Decision id of that step>}, "counters": {"<step>": {...}}}
    data = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.cluster_name}: {self.scenario} step {self.step}"
