from django.apps import AppConfig


class ClusterConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cluster"
    verbose_name = "Cluster state"

    def ready(self):
        from django.db.models.signals import post_migrate

        post_migrate.connect(_ensure_default_cluster, sender=self)


def _ensure_default_cluster(**kwargs):
    from cluster.bootstrap import ensure_cluster

    ensure_cluster()
