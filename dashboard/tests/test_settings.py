"""The server's secret: never a key everyone knows (sessions and sign-in links are signed with it)."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRINT = "from django.conf import settings; print(settings.SECRET_KEY, settings.DEBUG)"


def settings_in(var_dir: Path, **env) -> list[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SECRET_KEY", "DJANGO_DEBUG")}
    environ.update(KUBESIM_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="config.settings", **env)
    out = subprocess.run([sys.executable, "-c", f"import django; django.setup(); {PRINT}"], cwd=ROOT,
                         env=environ, capture_output=True, text=True, timeout=60, check=True)
    return out.stdout.split()


def test_a_random_key_is_made_once_kept_private_and_reused(tmp_path):
    first = settings_in(tmp_path)
    again = settings_in(tmp_path)
    other = settings_in(tmp_path / "elsewhere")
    assert first == again and first[1] == "False"  # debug pages are off unless asked for
    assert len(first[0]) > 40 and first[0] != other[0]
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600
    assert settings_in(tmp_path, DJANGO_SECRET_KEY="given", DJANGO_DEBUG="1") == ["given", "True"]
