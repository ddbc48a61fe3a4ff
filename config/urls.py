from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("k8s/", include("k8sapi.urls")),
    path("", include("dashboard.urls")),
]
