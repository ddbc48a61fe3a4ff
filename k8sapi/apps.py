from django.apps import AppConfig


class K8sApiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "k8sapi"
    verbose_name = "Kubernetes API"
