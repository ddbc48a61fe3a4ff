"""The Django admin as an "etcd browser": every kind, with kubectl-like columns.

Saving goes through the store (defaults, validation with Kubernetes' messages, a new
resourceVersion, the change log and a wake-up for the controllers), never straight to the row.
Spec, labels and annotations are edited as YAML; metadata and status are read-only.
"""
from __future__ import annotations

import yaml
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html

from cluster import printers, store
from cluster.errors import ApiError
from cluster.models import (
    Change,
    Cluster,
    ControllerRevision,
    CronJob,
    DaemonSet,
    Event,
    Job,
    Namespace,
    Node,
    Pod,
)


class YAMLField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 18, "cols": 100, "style": "font-family: monospace"})

    def prepare_value(self, value):
        if isinstance(value, (dict, list)):
            return yaml.safe_dump(value, sort_keys=False, default_flow_style=False) if value else ""
        return value

    def to_python(self, value):
        try:
            data = yaml.safe_load(value or "") or {}
        except yaml.YAMLError as exc:
            raise ValidationError(f"not valid YAML: {exc}") from None
        if not isinstance(data, dict):
            raise ValidationError("expected a mapping")
        return data


class ObjectForm(forms.ModelForm):
    """Edits what a user may change: labels, annotations and the spec."""

    labels = YAMLField(required=False)
    spec = YAMLField(required=False)
    # the version the form was filled from: saving it is a PUT with that resourceVersion, so a
    # change made meanwhile (a controller, kubectl, another tab) is a 409, never overwritten
    observed_resource_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        fields = ["labels", "spec"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["observed_resource_version"].initial = self.instance.resource_version

    def edited(self) -> dict:
        """The object as it would be saved: the stored one with this form's labels and spec, at
        the resourceVersion the form was filled from."""
        obj = type(self.instance).objects.get(pk=self.instance.pk).to_dict()
        obj["metadata"]["labels"] = self.cleaned_data.get("labels") or {}
        obj["spec"] = self.cleaned_data.get("spec") or {}
        observed = self.cleaned_data.get("observed_resource_version")
        if observed:
            obj["metadata"]["resourceVersion"] = str(observed)
        return obj

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and not self.errors:
            try:  # Kubernetes' own validation, as a dry run: the message shows on the form
                store.update(self.instance.cluster, self.edited(), dry_run=True)
            except ApiError as exc:
                raise ValidationError(exc.kubectl_message()) from None
        return cleaned


class KubeObjectAdmin(admin.ModelAdmin):
    form = ObjectForm
    list_filter = ["cluster", "namespace"]
    search_fields = ["name", "namespace", "uid"]
    readonly_fields = ["cluster", "namespace", "name", "uid", "resource_version", "generation",
                       "creation_timestamp", "deletion_timestamp", "owner", "annotations", "status_yaml"]
    fieldsets = [
        (None, {"fields": ["cluster", "namespace", "name", "labels", "spec", "observed_resource_version"]}),
        ("Metadata", {"fields": ["uid", "resource_version", "generation", "creation_timestamp",
                                  "deletion_timestamp", "owner", "annotations"]}),
        ("Status", {"fields": ["status_yaml"]}),
    ]
    actions = ["delete_through_store"]

    def has_add_permission(self, request):
        return False  # objects are created from manifests (kubectl apply, the dashboard)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # bypasses the store
        return actions

    def kubectl_cells(self, obj) -> list:
        return printers.row_cells(obj.to_dict(), store.now(obj.cluster))

    @admin.display(description="Owner")
    def owner(self, obj):
        return f"{obj.owner_kind}/{obj.owner_name}" if obj.owner_uid else "<none>"

    @admin.display(description="Annotations")
    def annotations(self, obj):
        return format_html("<pre>{}</pre>", yaml.safe_dump(obj.metadata.get("annotations") or {}, sort_keys=True))

    @admin.display(description="Status")
    def status_yaml(self, obj):
        return format_html("<pre>{}</pre>", yaml.safe_dump(obj.status or {}, sort_keys=False))

    def save_model(self, request, obj, form, change):
        try:
            store.update(obj.cluster, form.edited())
        except ApiError as exc:  # changed in between: say so rather than overwrite
            self.message_user(request, exc.kubectl_message(), level=messages.ERROR)

    def delete_model(self, request, obj):
        store.delete(obj.cluster, obj.kind, obj.namespace, obj.name)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    @admin.action(description="Delete (through the store, as kubectl delete)", permissions=["delete"])
    def delete_through_store(self, request, queryset):
        for obj in queryset:
            store.delete(obj.cluster, obj.kind, obj.namespace, obj.name)
        self.message_user(request, f"{queryset.count()} object(s) deleted")


def _cell(index: int, title: str):
    @admin.display(description=title)
    def column(self, obj):
        return self.kubectl_cells(obj)[index]

    return column


@admin.register(Node)
class NodeAdmin(KubeObjectAdmin):
    list_display = ["name", "node_status", "roles", "age", "version", "cluster"]
    list_filter = ["cluster", "ready", "unschedulable"]
    actions = ["cordon", "uncordon", "delete_through_store"]
    node_status = _cell(1, "Status")
    roles = _cell(2, "Roles")
    age = _cell(3, "Age")
    version = _cell(4, "Version")

    def _set_unschedulable(self, request, queryset, value: bool):
        """kubectl's words per node: `node/node-1 cordoned`, or `already cordoned`."""
        word = "cordoned" if value else "uncordoned"
        lines = []
        for node in queryset:
            if bool((node.spec or {}).get("unschedulable")) == value:
                lines.append(f"node/{node.name} already {word}")
                continue
            store.patch(node.cluster, "Node", "", node.name, {"spec": {"unschedulable": True if value else None}})
            lines.append(f"node/{node.name} {word}")
        self.message_user(request, "; ".join(lines))

    @admin.action(description="Cordon (kubectl cordon)", permissions=["change"])
    def cordon(self, request, queryset):
        self._set_unschedulable(request, queryset, True)

    @admin.action(description="Uncordon (kubectl uncordon)", permissions=["change"])
    def uncordon(self, request, queryset):
        self._set_unschedulable(request, queryset, False)


class OwnerFilter(admin.SimpleListFilter):
    title = "owner"
    parameter_name = "owner"

    def lookups(self, request, model_admin):
        owners = (model_admin.model.objects.exclude(owner_uid="").order_by()   # no ordering: DISTINCT on these two
                  .values_list("owner_kind", "owner_name").distinct())
        return [(f"{k}/{n}", f"{k}/{n}") for k, n in sorted(owners)]

    def queryset(self, request, queryset):
        if self.value():
            kind, name = self.value().split("/", 1)
            return queryset.filter(owner_kind=kind, owner_name=name)
        return queryset


@admin.register(Pod)
class PodAdmin(KubeObjectAdmin):
    list_display = ["name", "namespace", "ready", "pod_status", "restarts", "age", "node_name", "cluster"]
    list_filter = ["cluster", "namespace", "phase", "node_name", OwnerFilter]
    ready = _cell(1, "Ready")
    pod_status = _cell(2, "Status")
    restarts = _cell(3, "Restarts")
    age = _cell(4, "Age")


@admin.register(DaemonSet)
class DaemonSetAdmin(KubeObjectAdmin):
    list_display = ["name", "namespace", "desired", "current", "ready", "up_to_date", "available", "node_selector", "age"]
    desired = _cell(1, "Desired")
    current = _cell(2, "Current")
    ready = _cell(3, "Ready")
    up_to_date = _cell(4, "Up-to-date")
    available = _cell(5, "Available")
    node_selector = _cell(6, "Node selector")
    age = _cell(7, "Age")


@admin.register(Job)
class JobAdmin(KubeObjectAdmin):
    list_display = ["name", "namespace", "job_status", "completions", "duration", "age"]
    list_filter = ["cluster", "namespace", "finished", OwnerFilter]
    job_status = _cell(1, "Status")
    completions = _cell(2, "Completions")
    duration = _cell(3, "Duration")
    age = _cell(4, "Age")


@admin.register(CronJob)
class CronJobAdmin(KubeObjectAdmin):
    list_display = ["name", "namespace", "schedule", "timezone", "suspend", "active", "last_schedule", "age"]
    schedule = _cell(1, "Schedule")
    timezone = _cell(2, "Timezone")
    suspend = _cell(3, "Suspend")
    active = _cell(4, "Active")
    last_schedule = _cell(5, "Last schedule")
    age = _cell(6, "Age")


@admin.register(Namespace)
class NamespaceAdmin(KubeObjectAdmin):
    list_display = ["name", "ns_status", "age", "cluster"]
    list_filter = ["cluster"]
    ns_status = _cell(1, "Status")
    age = _cell(2, "Age")


class ReadOnlyAdmin(KubeObjectAdmin):
    """Objects that controllers own: browse, never edit by hand."""

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ControllerRevision)
class ControllerRevisionAdmin(ReadOnlyAdmin):
    list_display = ["name", "namespace", "controller", "revision", "age"]
    list_filter = ["cluster", "namespace", OwnerFilter]
    controller = _cell(1, "Controller")
    age = _cell(3, "Age")


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["last_seen", "type", "reason", "object", "message"]
    list_filter = ["cluster", "namespace", "type", "reason"]
    search_fields = ["involved_name", "reason"]
    last_seen = _cell(0, "Last seen")
    object = _cell(3, "Object")
    message = _cell(6, "Message")


@admin.register(Cluster)
class ClusterAdmin(admin.ModelAdmin):
    list_display = ["name", "public", "sim_now", "paused", "speed", "resource_version"]
    readonly_fields = ["resource_version", "name_counter", "sim_now", "sim_anchor", "wall_anchor"]


@admin.register(Change)
class ChangeAdmin(admin.ModelAdmin):
    list_display = ["resource_version", "type", "kind", "namespace", "name", "cluster"]
    list_filter = ["cluster", "type", "kind"]
    search_fields = ["name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
