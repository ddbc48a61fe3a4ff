"""`make bench`: every benchmark, each printing its figures and ratios measured side by side.

Runs against a fresh SQLite database in var/bench.sqlite3 (or DATABASE_URL if set), with the
embedded controllers off: each benchmark drives the engine itself on fast-forwarded time.
"""
from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["RECONCILER_MODE"] = "off"
if not os.environ.get("DATABASE_URL"):
    db = ROOT / "var" / "bench.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    os.environ["KUBESIM_DB"] = str(db)

BENCHES = [
    "bench.store_bench",
    "bench.runtime_bench",
    "bench.daemonset_bench",
    "bench.job_bench",
    "bench.k8sapi_bench",
    "bench.dashboard_bench",
]


def main(names: list[str]) -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    for name in names or BENCHES:
        module = importlib.import_module(name if name.startswith("bench.") else f"bench.{name}")
        print(f"== {module.__name__}: {module.__doc__.strip().splitlines()[0]}")
        module.run()


if __name__ == "__main__":
    main(sys.argv[1:])
