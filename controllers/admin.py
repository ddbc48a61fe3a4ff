"""The chaos actions, added to the admin's Node and Pod lists (the admin is an "etcd browser":
a teacher acts on a row and watches the controllers answer)."""
from django.contrib import admin, messages

from cluster.errors import ApiError
from cluster.models import Node, Pod
from controllers import chaos


def _action(fn, description: str, *, pods: bool = False):
    @admin.action(description=description, permissions=["change"])
    def action(modeladmin, request, queryset):
        for obj in queryset:
            try:
                done = fn(obj.cluster, obj.namespace, obj.name) if pods else fn(obj.cluster, obj.name)
                modeladmin.message_user(request, f"{done.message}  ($ {done.kubectl})")
            except (ApiError, ValueError) as exc:
                modeladmin.message_user(request, str(exc), level=messages.ERROR)

    action.__name__ = fn.__name__
    return action


NODE_ACTIONS = [
    _action(chaos.fail_node, "Fail: the kubelet reports NotReady"),
    _action(chaos.partition_node, "Partition: the node stops reporting"),
    _action(chaos.recover_node, "Recover the node"),
]
POD_ACTIONS = [
    _action(chaos.kill_pod, "Kill (kubectl delete pod)", pods=True),
    _action(chaos.crash_container, "Crash its container (exit 137)", pods=True),
]

for model, extra in ((Node, NODE_ACTIONS), (Pod, POD_ACTIONS)):
    model_admin = admin.site._registry[model]
    model_admin.actions = [*model_admin.actions, *extra]
