"""The dashboard's YAML editor applies as `kubectl apply -f -` does, with its words for errors."""
import pytest

from cluster.bootstrap import ensure_cluster
from cluster.models import Job
from dashboard import actions

TYPO_JOB = """apiVersion: batch/v1
kind: Job
metadata:
  name: typo
spec:
  backofLimit: 1
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: c
        image: busybox
"""


@pytest.mark.django_db
def test_a_misspelt_field_is_refused_as_kubectl_would_and_nothing_is_created():
    cluster = ensure_cluster()
    result = actions.apply_yaml(cluster, None, TYPO_JOB)
    assert result.error
    assert result.lines == ['Error from server (BadRequest): error when creating "STDIN": Job in version "v1" cannot '
                            'be handled as a Job: strict decoding error: unknown field "spec.backofLimit"']
    assert not Job.objects.exists()
    fixed = actions.apply_yaml(cluster, None, TYPO_JOB.replace("backofLimit", "backoffLimit"))
    assert (fixed.error, fixed.lines) == (False, ["job.batch/typo created"])
    assert Job.objects.get().spec["backoffLimit"] == 1
