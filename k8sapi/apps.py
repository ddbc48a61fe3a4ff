from django.apps import AppConfig


class K8sApiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "k8sapi"
    verbose_name = "Kubernetes API"

    def ready(self):
        from cluster import store
        from k8sapi.watch import WAKEUPS

        store.subscribe(WAKEUPS.committed)  # in-process commits wake the watches at once
