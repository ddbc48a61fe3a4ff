"""The page survives a server restart: the socket reconnects and the page resyncs."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from conftest import start_server, stop_server

pytestmark = pytest.mark.browser


@pytest.fixture
def server(tmp_path):
    server = start_server(tmp_path)
    yield server
    stop_server(server)


def test_the_page_reconnects_after_a_server_restart_and_resyncs(server, page: Page, tmp_path):
    link = server.manage("signin_link", server.url).stdout.strip()
    page.goto(link)
    live = page.locator("#live .live-text")
    expect(live).to_have_text("Live", timeout=5000)
    page.evaluate("window.__noReload = true")

    stop_server(server)
    expect(live).to_have_text("Reconnecting…", timeout=10000)
    server.manage("kubectl", "apply", "-f", "examples/my-first-daemonset.yaml")   # changed while down
    restarted = start_server(tmp_path, port=server.port)
    server.process = restarted.process        # the fixture stops the new process
    expect(live).to_have_text("Live", timeout=20000)
    # the snapshot on reconnect brings what changed while the page was away
    expect(page.locator("#owners")).to_contain_text("my-first-daemonset", timeout=5000)
    expect(page.locator("#node-node-1 .pod")).to_be_visible(timeout=10000)
    assert page.evaluate("window.__noReload") is True
    # and the socket carries new changes again (the session survived the restart)
    page.click("#add-node")
    page.fill("#node-name", "node-5")
    page.click("#add-node-submit")
    expect(page.locator("#node-node-5 .pod")).to_be_visible(timeout=3000)
