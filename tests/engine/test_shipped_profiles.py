"""The reference server passes every shipped profile (issue 12, item 6): at 20 examples per
operation, with seeds 0 and 1. The full matrix is slow; one profile runs by default."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from conformance._runner import execute
from conformance.engine import RunConfig
from conformance.server import ServerConfig, serve_reference

PROFILES = sorted(path.stem for path in (Path(__file__).resolve().parents[2] / "conformance" / "profiles").glob("*.toml"))
SEEDS = (0, 1)


def _run(profile: str, seed: int) -> tuple[int, str, list[str]]:
    out = io.StringIO()
    with serve_reference(ServerConfig(seed=seed)) as url:
        result = execute(RunConfig(base_url=url, api_key="test-key", profile=profile, seed=seed, max_examples=20,
                                   quiet=True, report_dir=""), out)
    errors = [f"{f.check_id} on {f.operation_id}: {f.message}" for f in result.causes if f.severity == "error"]
    return result.exit_code, out.getvalue(), errors


def test_every_shipped_profile_is_tested() -> None:
    assert {"anthropic", "compat-messages", "compat-minimal", "reference", "thorough"} <= set(PROFILES)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_reference_server_passes_compat_minimal(seed: int) -> None:
    code, summary, errors = _run("compat-minimal", seed)
    assert code == 0 and not errors, f"{errors}\n{summary}"


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("profile", [p for p in PROFILES if p != "compat-minimal"])
def test_the_reference_server_passes_every_shipped_profile(profile: str, seed: int) -> None:
    code, summary, errors = _run(profile, seed)
    assert code == 0 and not errors, f"{profile} seed {seed}: {errors}\n{summary}"
