"""The Kubernetes REST API, one per simulated cluster: /k8s/clusters/<name>/..."""

urlpatterns: list = []
