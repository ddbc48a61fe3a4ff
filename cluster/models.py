"""The simulated cluster's state.

Each Kubernetes kind is its own model. The object itself is kept whole, in Kubernetes' own
shape (`metadata`, `spec`, `status` JSON), so that nothing a manifest said is lost; beside it
sit typed, indexed columns for what queries need (a pod's node, phase and owner; a node's
readiness). Only `cluster.store` writes these models: it keeps the columns and the JSON in
step, assigns resource versions and appends to the change log.
"""
from __future__ import annotations

from datetime import datetime, timezone

from django.db import models

from cluster.jsondata import copy_json  # noqa: F401  (re-exported: callers import it from here)

SIM_EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)


class Cluster(models.Model):
    """A simulated cluster: its objects, its resource-version counter and its clock."""

    name = models.SlugField(max_length=63, unique=True)
    public = models.BooleanField(default=True, help_text="Anyone may watch a public cluster.")
    seed = models.BigIntegerField(default=0, help_text="Seed of the cluster's random generator.")
    resource_version = models.BigIntegerField(default=0, help_text="Last resourceVersion handed out.")
    name_counter = models.BigIntegerField(default=0, help_text="Draws taken from the name generator.")
    # The clock. `sim_now` is the cluster's current simulated time. While running, a driver
    # moves it forward at `speed` x wall time from the anchors (reset on resume/speed change).
    sim_now = models.DateTimeField(default=SIM_EPOCH)
    paused = models.BooleanField(default=False)
    speed = models.FloatField(default=1.0)
    sim_anchor = models.DateTimeField(default=SIM_EPOCH)
    wall_anchor = models.DateTimeField(null=True, blank=True, help_text="Wall time (audit only).")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class KubeObject(models.Model):
    """Fields every Kubernetes object carries. Subclasses add typed columns for queries."""

    api_version = "v1"
    kind = ""
    namespaced = True

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="+")
    namespace = models.CharField(max_length=63, blank=True, db_index=True)
    name = models.CharField(max_length=253)
    uid = models.CharField(max_length=36, unique=True)
    resource_version = models.BigIntegerField(db_index=True)
    generation = models.BigIntegerField(default=1)
    creation_timestamp = models.DateTimeField()
    deletion_timestamp = models.DateTimeField(null=True, blank=True, db_index=True)
    labels = models.JSONField(default=dict, blank=True)
    owner_uid = models.CharField(max_length=36, blank=True, db_index=True, help_text="Controller ownerReference uid")
    owner_kind = models.CharField(max_length=63, blank=True)
    owner_name = models.CharField(max_length=253, blank=True)
    metadata = models.JSONField(default=dict)
    spec = models.JSONField(default=dict, blank=True)
    status = models.JSONField(default=dict, blank=True)

    class Meta:
        abstract = True
        ordering = ["namespace", "name"]
        constraints = [
            models.UniqueConstraint(fields=["cluster", "namespace", "name"], name="%(app_label)s_%(class)s_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name

    def to_dict(self) -> dict:
        """The object exactly as the Kubernetes API returns it (a copy: safe to change)."""
        return copy_json(self.view())

    def view(self) -> dict:
        """The object without copying: shares this row's values, so read it, do not change it."""
        obj = {"apiVersion": self.api_version, "kind": self.kind, "metadata": self.metadata}
        if self.spec or self.kind not in NO_SPEC_KINDS:
            obj["spec"] = self.spec
        if self.status or self.kind in STATUS_KINDS:
            obj["status"] = self.status
        return obj

    @classmethod
    def index_columns(cls, obj: dict) -> dict:
        """Typed columns derived from the object, beyond the common metadata ones."""
        return {}


NO_SPEC_KINDS = {"Event", "ControllerRevision"}
STATUS_KINDS = {"Node", "Pod", "DaemonSet", "Job", "CronJob", "Namespace"}


def _condition(obj: dict, type_: str) -> dict | None:
    for cond in obj.get("status", {}).get("conditions") or []:
        if cond.get("type") == type_:
            return cond
    return None


class Namespace(KubeObject):
    namespaced = False

    class Meta(KubeObject.Meta):
        pass


class Node(KubeObject):
    namespaced = False

    ready = models.CharField(max_length=7, default="Unknown", db_index=True, help_text="Ready condition: True/False/Unknown")
    unschedulable = models.BooleanField(default=False, db_index=True)

    class Meta(KubeObject.Meta):
        pass

    @classmethod
    def index_columns(cls, obj: dict) -> dict:
        cond = _condition(obj, "Ready")
        return {
            "ready": cond.get("status", "Unknown") if cond else "Unknown",
            "unschedulable": bool(obj.get("spec", {}).get("unschedulable")),
        }


class Pod(KubeObject):
    node_name = models.CharField(max_length=253, blank=True, db_index=True)
    phase = models.CharField(max_length=16, default="Pending", db_index=True)

    class Meta(KubeObject.Meta):
        indexes = [models.Index(fields=["cluster", "owner_uid"], name="pod_owner")]

    @classmethod
    def index_columns(cls, obj: dict) -> dict:
        return {
            "node_name": obj.get("spec", {}).get("nodeName") or "",
            "phase": obj.get("status", {}).get("phase") or "Pending",
        }


class DaemonSet(KubeObject):
    api_version = "apps/v1"

    class Meta(KubeObject.Meta):
        pass


class Job(KubeObject):
    api_version = "batch/v1"

    finished = models.BooleanField(default=False, db_index=True, help_text="Complete or Failed")

    class Meta(KubeObject.Meta):
        pass

    @classmethod
    def index_columns(cls, obj: dict) -> dict:
        finished = any(
            (_condition(obj, t) or {}).get("status") == "True" for t in ("Complete", "Failed")
        )
        return {"finished": finished}


class CronJob(KubeObject):
    api_version = "batch/v1"

    class Meta(KubeObject.Meta):
        pass


class ControllerRevision(KubeObject):
    api_version = "apps/v1"

    revision = models.BigIntegerField(default=0)
    data = models.JSONField(default=dict, blank=True)

    class Meta(KubeObject.Meta):
        pass

    def view(self) -> dict:
        return {
            "apiVersion": self.api_version,
            "kind": self.kind,
            "metadata": self.metadata,
            "data": self.data,
            "revision": self.revision,
        }

    @classmethod
    def index_columns(cls, obj: dict) -> dict:
        return {"revision": int(obj.get("revision") or 0), "data": obj.get("data") or {}}


class Event(KubeObject):
    """core/v1 Event. The body (involvedObject, reason, ...) is kept in `body`."""

    involved_kind = models.CharField(max_length=63, blank=True)
    involved_name = models.CharField(max_length=253, blank=True)
    involved_uid = models.CharField(max_length=36, blank=True, db_index=True)
    reason = models.CharField(max_length=128, blank=True)
    type = models.CharField(max_length=16, blank=True)
    last_timestamp = models.DateTimeField(null=True, blank=True)
    body = models.JSONField(default=dict, blank=True)

    class Meta(KubeObject.Meta):
        indexes = [models.Index(fields=["cluster", "involved_kind", "involved_name"], name="event_involved")]

    def view(self) -> dict:
        return {"apiVersion": self.api_version, "kind": self.kind, "metadata": self.metadata, **self.body}

    @classmethod
    def index_columns(cls, obj: dict) -> dict:
        from cluster.timeutil import parse_time

        involved = obj.get("involvedObject") or {}
        body = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}
        last = obj.get("lastTimestamp") or obj.get("eventTime") or obj.get("firstTimestamp")
        return {
            "involved_kind": involved.get("kind", ""),
            "involved_name": involved.get("name", ""),
            "involved_uid": involved.get("uid", ""),
            "reason": obj.get("reason", ""),
            "type": obj.get("type", ""),
            "last_timestamp": parse_time(last) if last else None,
            "body": body,
        }


for _model in (Namespace, Node, Pod, DaemonSet, Job, CronJob, ControllerRevision, Event):
    _model.kind = _model.__name__

MODELS: dict[str, type[KubeObject]] = {
    m.kind: m for m in (Namespace, Node, Pod, DaemonSet, Job, CronJob, ControllerRevision, Event)
}


class Change(models.Model):
    """The change log: one row per write, in resourceVersion order (feeds watches and the UI)."""

    ADDED, MODIFIED, DELETED = "ADDED", "MODIFIED", "DELETED"

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="+")
    resource_version = models.BigIntegerField()
    type = models.CharField(max_length=8)
    kind = models.CharField(max_length=63)
    namespace = models.CharField(max_length=63, blank=True)
    name = models.CharField(max_length=253)
    uid = models.CharField(max_length=36)
    object = models.JSONField()

    class Meta:
        ordering = ["cluster", "resource_version"]
        indexes = [models.Index(fields=["cluster", "resource_version"], name="change_rv")]

    def __str__(self) -> str:
        return f"{self.resource_version} {self.type} {self.kind} {self.namespace}/{self.name}"
