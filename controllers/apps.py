import importlib
import os

from django.apps import AppConfig


class ControllersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "controllers"
    verbose_name = "Controllers"

    def ready(self):
        from cluster import store
        from controllers import mapping, worker
        from controllers import daemonset, job, kubelet, lifecycle, logs, scheduler  # noqa: F401  (register)

        store.subscribe_in_transaction(mapping.enqueue_touched)
        store.subscribe(worker.nudge)
        # extra handler modules (tests register a probe reconciler in worker processes this way)
        for module in filter(None, os.environ.get("KUBESIM_EXTRA_HANDLERS", "").split(",")):
            importlib.import_module(module)
