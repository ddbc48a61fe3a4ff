"""Shared test set-up: the embedded controllers stay off unless a test starts them."""
import os

import pytest


def require_all() -> bool:
    """CI sets REQUIRE_ALL=1: a test that would skip for a missing component fails instead."""
    return os.environ.get("REQUIRE_ALL") == "1"


def skip_or_fail(reason: str):
    if require_all():
        pytest.fail(f"REQUIRE_ALL=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _reconciler_off(settings):
    settings.RECONCILER_MODE = "off"
