"""Browser fixtures: pytest-playwright driving Debian's Chromium (no browser download here)."""
import os

import pytest

from conftest import skip_or_fail

CHROMIUM = "/usr/bin/chromium"
CHROME_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        skip_or_fail("Chromium is not installed at /usr/bin/chromium")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROME_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 800}}


@pytest.fixture(autouse=True)
def _live_server_helper():
    """pytest-django's autouse helper sets up a test database for any test that uses a fixture
    named `live_server`; ours (the root conftest's) is a real server with its own database, and
    the browser tests must not touch the ORM (Playwright's loop runs in the test thread)."""
    yield
