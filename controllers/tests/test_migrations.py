"""The migration that moved the Job attempts history from the controller's memory to rows, and back."""
from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE, AFTER = ("controllers", "0001_initial"), ("controllers", "0002_job_attempts")


@pytest.mark.django_db(transaction=True)
def test_the_attempts_in_a_jobs_memory_become_rows_and_leave_the_memory():
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    apps = executor.loader.project_state([BEFORE]).apps
    cluster = apps.get_model("cluster", "Cluster").objects.create(name="old")
    entries = [{"pod": "pi-abcde", "created": "2026-01-01T00:00:10Z", "phase": "Failed", "exitCode": 1,
                "backoffSeconds": 0, "gone": True},
               {"pod": "pi-fghij", "created": "2026-01-01T00:00:30Z", "phase": "Running", "backoffSeconds": 10}]
    apps.get_model("controllers", "ControllerMemory").objects.create(
        cluster=cluster, owner_uid="uid-1", controller="job", data={"backoff": {"failuresAfterLastSuccess": 1},
                                                                    "attempts": entries})
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([AFTER])
    apps = executor.loader.project_state([AFTER]).apps
    rows = apps.get_model("controllers", "JobAttempt").objects.filter(job_uid="uid-1").order_by("created")
    assert [(r.pod, r.gone, r.data) for r in rows] == [("pi-abcde", True, entries[0]), ("pi-fghij", False, entries[1])]
    memory = apps.get_model("controllers", "ControllerMemory").objects.get(owner_uid="uid-1")
    assert memory.data == {"backoff": {"failuresAfterLastSuccess": 1}}
    executor.loader.build_graph()
    executor.migrate([BEFORE])  # and back: nothing lost either way
    apps = executor.loader.project_state([BEFORE]).apps
    memory = apps.get_model("controllers", "ControllerMemory").objects.get(owner_uid="uid-1")
    assert memory.data == {"backoff": {"failuresAfterLastSuccess": 1}, "attempts": entries}
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())  # the other tests' schema
