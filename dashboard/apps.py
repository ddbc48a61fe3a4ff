from django.apps import AppConfig


class DashboardConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "dashboard"
    verbose_name = "Dashboard"

    def ready(self):
        from cluster import store
        from dashboard import live

        store.subscribe(live.announce)  # after commit: tell the live pages which regions changed
