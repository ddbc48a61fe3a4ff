"""The controllers' own state: the work queue, leases, decision records, Job attempts.

None of this is Kubernetes API state (that lives in `cluster` and is written by the store);
it is what kube-controller-manager keeps in memory, kept here in the database so that any
worker process can pick up where another stopped.
"""
from __future__ import annotations

from django.db import models

from cluster.models import Cluster


class WorkItem(models.Model):
    """One key waiting in the queue: de-duplicated per cluster, ordered by (due_at, id)."""

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=400)
    due_at = models.DateTimeField()
    failures = models.IntegerField(default=0, help_text="Consecutive errors (drives the retry back-off)")

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [models.UniqueConstraint(fields=["cluster", "key"], name="workitem_unique_key")]
        indexes = [models.Index(fields=["cluster", "due_at", "id"], name="workitem_due")]

    def __str__(self) -> str:
        return f"{self.key} @ {self.due_at:%H:%M:%S}"


class Lease(models.Model):
    """Who reconciles a cluster: taken and renewed by compare-and-set on the database clock."""

    cluster = models.OneToOneField(Cluster, on_delete=models.CASCADE, related_name="+")
    holder = models.CharField(max_length=200, blank=True)
    renew_time = models.DateTimeField(null=True, blank=True)
    transitions = models.BigIntegerField(default=0, help_text="Fencing epoch: +1 at each change of holder")

    def __str__(self) -> str:
        return f"{self.cluster.name}: {self.holder or '-'}"


class Decision(models.Model):
    """What a controller saw and did in one step, in words (the dashboard's explanations)."""

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="+")
    time = models.DateTimeField(help_text="Simulated time")
    controller = models.CharField(max_length=63)
    kind = models.CharField(max_length=63, blank=True)
    namespace = models.CharField(max_length=63, blank=True)
    name = models.CharField(max_length=253, blank=True)
    node = models.CharField(max_length=253, blank=True, db_index=True)
    verb = models.CharField(max_length=32)
    message = models.TextField()

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["cluster", "kind", "namespace", "name"], name="decision_object"),
            models.Index(fields=["cluster", "-id"], name="decision_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.time:%H:%M:%S} {self.controller} {self.verb}: {self.message}"


class JobAttempt(models.Model):
    """One pod a Job ran, kept after the pod is gone: the dashboard's retry timeline.

    `data` is the attempt as `controllers.job_plan.job_attempts` describes it (pod, index,
    node, phase, created, started, finished, exitCode, reason, restarts, backoffSeconds,
    gone). A row per attempt, so that a pass writes only the attempts whose pod changed.
    """

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="+")
    job_uid = models.CharField(max_length=36)
    pod = models.CharField(max_length=253)
    created = models.CharField(max_length=32, blank=True, help_text="The pod's creationTimestamp (orders the timeline)")
    pod_resource_version = models.BigIntegerField(help_text="The pod version this entry was read from")
    gone = models.BooleanField(default=False, help_text="The pod was deleted")
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["created", "pod"]
        constraints = [
            models.UniqueConstraint(fields=["cluster", "job_uid", "pod"], name="jobattempt_unique_pod")
        ]

    def __str__(self) -> str:
        return self.pod


class ControllerMemory(models.Model):
    """Small per-object state a real controller holds in memory (back-off records, expectations)."""

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="+")
    owner_uid = models.CharField(max_length=36)
    controller = models.CharField(max_length=63)
    data = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cluster", "owner_uid", "controller"], name="memory_unique")
        ]
