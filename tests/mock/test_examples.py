"""examples/client-library runs green with the official SDK 0.x (httpx) and 2.x (httpx2): every
scenario consumed by the SDK, each behaving as against the real API (retries, raised error types,
reassembled tool input, the final message).

Each run is a subprocess (SDK 2.x cannot share a process with 0.x; it lives in `.sdk2/`), with
the conformance plugin's `conformance_mock` fixture starting its own loopback server.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.server import SCENARIOS

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "client-library"
SDK2 = ROOT / ".sdk2"


def run_example(extra_path: list[Path]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(p) for p in [*extra_path, ROOT])}
    return subprocess.run(
        [sys.executable, "-m", "pytest", str(EXAMPLE), "-q", "-p", "no:cacheprovider", "-p", "no:randomly", "-W", "ignore::UserWarning"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=300,
    )


def sdk_version(extra_path: list[Path]) -> str:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(p) for p in [*extra_path, ROOT])}
    probe = subprocess.run([sys.executable, "-c", "import anthropic; print(anthropic.__version__)"], env=env,
                           capture_output=True, text=True, timeout=60)
    return probe.stdout.strip()


@pytest.mark.parametrize("sdk", ["0.x", "2.x"])
def test_example_suite_passes(sdk: str) -> None:
    pytest.importorskip("anthropic")
    path = [SDK2] if sdk == "2.x" else []
    if sdk == "2.x" and not (SDK2 / "anthropic").is_dir():
        pytest.skip(f"{SDK2} is absent: pip install --target .sdk2 'anthropic>=2,<3'")
    assert sdk_version(path).startswith(sdk[0] + ".")
    result = run_example(path)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and " failed" not in result.stdout


def test_the_example_drives_every_scenario() -> None:
    text = (EXAMPLE / "test_anthropic_sdk.py").read_text(encoding="utf-8")
    assert [s.name for s in SCENARIOS if f'"{s.name}"' not in text] == []
