"""Take the README's screenshots (1280x800) of the real server in Debian's Chromium.

    .venv/bin/python -m dashboard.screenshots [OUTDIR]     # default docs/screenshots/

Starts `manage.py serve` on a fresh database, plays the built-in scenarios to interesting
moments (through the same management commands and buttons a teacher uses), and saves
cluster.png, daemonset.png, job.png, job-waiting.png and presenter.png.
"""
from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FAILING_JOB = (ROOT / "examples" / "hello-world-failing-job.yaml").read_text()
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--font-render-hinting=none"]
SIZE = {"width": 1280, "height": 800}


def main(outdir: Path) -> None:
    sys.path.insert(0, str(ROOT))
    from playwright.sync_api import expect, sync_playwright

    from conftest import start_server, stop_server

    outdir.mkdir(parents=True, exist_ok=True)
    server = start_server(Path(tempfile.mkdtemp(prefix="kubesim-shots-")))
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport=SIZE, reduced_motion="reduce")
            page.goto(server.manage("signin_link", server.url).stdout.strip())

            def goto(path: str) -> None:
                page.goto(server.url + path)
                expect(page.locator("#live .live-text")).to_have_text("Live", timeout=10000)

            def sim(*args: str) -> None:
                server.manage("sim", *args)

            # --- the cluster view: a DaemonSet on four nodes (one tainted), a failing Job, a cordoned node
            server.manage("scenario", "daemonset-basics", "--step", "4")
            sim("pause")
            sim("advance", "20s")
            server.manage("kubectl", "cordon", "node-3")
            job = Path(server.db).parent / "hello-world.yaml"
            job.write_text(FAILING_JOB)
            server.manage("kubectl", "apply", "-f", str(job))
            sim("advance", "50s")
            goto("/c/default/")
            expect(page.locator("#node-node-1 .pod").first).to_be_visible()
            page.screenshot(path=str(outdir / "cluster.png"))

            # --- the Job page, waiting out a back-off, then failed
            goto("/c/default/jobs/default/hello-world/")
            page.screenshot(path=str(outdir / "job-waiting.png"))
            sim("advance", "5m")
            goto("/c/default/jobs/default/hello-world/")
            expect(page.locator("#job-status-word")).to_have_text("Failed", timeout=10000)
            page.screenshot(path=str(outdir / "job.png"))

            # --- the DaemonSet page in the middle of a rolling update with maxSurge
            server.manage("scenario", "rolling-update", "--step", "1")
            sim("pause")
            sim("advance", "40s")
            goto("/c/default/ds/default/web/")
            page.fill("#ds-image", "nginx:1.27")
            page.click("#ds-image-submit")
            expect(page.locator("#toast")).to_contain_text("image updated", timeout=5000)
            sim("advance", "12s")
            goto("/c/default/ds/default/web/")
            page.screenshot(path=str(outdir / "daemonset.png"))

            # --- presenter mode: DaemonSet basics, step 2, paused with the next reconcile queued
            server.manage("scenario", "daemonset-basics", "--step", "1")
            sim("pause")
            sim("advance", "30s")
            goto("/c/default/presenter/")
            page.click("#step-next")
            expect(page.locator("#caption")).to_contain_text("Step 2 of 4", timeout=5000)
            page.click("#clock-step")
            expect(page.locator("#node-node-2 .pod")).to_have_count(1, timeout=5000)
            page.screenshot(path=str(outdir / "presenter.png"))
            browser.close()
    finally:
        stop_server(server)
    for png in sorted(outdir.glob("*.png")):
        print(png)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")
