"""The Kubernetes REST API, one per simulated cluster: /k8s/clusters/<name>/...

Two catch-all patterns rather than one route per endpoint: every path below a cluster's prefix
reaches `views.api` exactly as kubectl sent it (with or without a trailing slash, so
CommonMiddleware never redirects), and anything else under /k8s/ still gets a `Status`.
"""
from django.urls import re_path

from k8sapi import views

urlpatterns = [
    re_path(r"^clusters/(?P<cluster>[^/]+)(?:/(?P<path>.*))?$", views.api),
    re_path(r"^(?P<path>.*)$", views.not_found),
]
