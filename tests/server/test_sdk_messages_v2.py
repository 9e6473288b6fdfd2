"""Run test_sdk_messages.py again with the anthropic SDK 2.x (httpx2, API version 2026-10-21).

SDK 2.x cannot share a process with the project's SDK 0.x, so it lives in `.sdk2/` (a
`pip install --target .sdk2 "anthropic>=2,<3"`, git-ignored) and this test runs the SDK tests in
a subprocess with `.sdk2/` first on the path, against this session's live server. It skips when
`.sdk2/` is absent.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.server.conftest import EXTERNAL_URL_ENV

ROOT = Path(__file__).resolve().parents[2]
SDK2 = ROOT / ".sdk2"


def test_sdk_messages_with_sdk_2x(live_url: str) -> None:
    if not (SDK2 / "anthropic").is_dir():
        pytest.skip(f"{SDK2} is absent: pip install --target .sdk2 'anthropic>=2,<3'")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SDK2), str(ROOT)]), EXTERNAL_URL_ENV: live_url}
    probe = subprocess.run([sys.executable, "-c", "import anthropic; print(anthropic.__version__)"], env=env,
                           capture_output=True, text=True, timeout=60)
    assert probe.returncode == 0 and probe.stdout.startswith("2."), probe.stdout + probe.stderr
    result = subprocess.run(
        [sys.executable, "-m", "pytest", str(ROOT / "tests/server/test_sdk_messages.py"), "-q", "-p", "no:cacheprovider",
         "-W", "error::DeprecationWarning:tests.server.test_sdk_messages"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and " failed" not in result.stdout
