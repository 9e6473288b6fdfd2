"""Every check can fail: each deliberately broken server of tests/engine/broken.py fails a focused
`conformance run` with its check id, and the reference server passes the very same runs (issue
"The conformance engine", "Proof that the checks can fail"; docs/checks.md lists the ids)."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest

from conformance._runner import RunResult, execute
from conformance.checks import registered_checks
from conformance.engine import load_profile
from conformance.server import create_app, serve_app
from tests.engine.broken import CASES, FOCUSES, STRICT_PROFILE, Broken, Focus

UNIT_TESTS = Path(__file__).resolve().parents[1] / "checks"
ALL_CHECKS = registered_checks()


def _run(app: Any, focus: Focus) -> tuple[RunResult, str]:
    """Serve `app` on loopback and run the focused suite against it; the summary explains failures."""
    out = io.StringIO()
    with serve_app(app, name="broken-servers-target") as url:
        result = execute(focus.options(url), out)
    return result, out.getvalue()


def _marks(focus: Focus, bug: str | None = None) -> list[pytest.MarkDecorator]:
    marks = [pytest.mark.slow] if focus.slow else []
    # strict: once the check catches the break, the XPASS says to drop the bug note.
    return marks + ([pytest.mark.xfail(reason=bug, strict=True)] if bug else [])


def _id(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.]+", "-", name).strip("-")


@pytest.mark.parametrize(
    "name", [pytest.param(name, marks=_marks(case.focus, case.bug), id=_id(name)) for name, case in CASES.items()]
)
def test_broken_server_fails_with_its_check(name: str) -> None:
    case = CASES[name]
    result, summary = _run(case.factory(), case.focus)
    assert result.exit_code == 1, f"{name}: exit {result.exit_code} ({result.problem}), expected 1\n{summary}"
    assert case.check_id in result.error_check_ids, (
        f"{name}: {case.check_id} is not among the errors {sorted(result.error_check_ids)}\n{summary}"
    )


@pytest.mark.parametrize("focus", [pytest.param(focus, marks=_marks(focus), id=focus.name) for focus in FOCUSES])
@pytest.mark.parametrize("wrapped", [False, True], ids=["reference", "pass-through-wrapper"])
def test_reference_server_passes_the_same_runs(focus: Focus, wrapped: bool) -> None:
    """The runs that fail the broken servers pass the reference server, also behind the wrapper
    with no hook (so each failure above is the break's, not the wrapper's)."""
    result, summary = _run(Broken(create_app()) if wrapped else create_app(), focus)
    assert result.exit_code == 0 and not result.error_check_ids, summary


def test_every_check_can_fail() -> None:
    """Each registered check is shown failing: by a broken server here, or by a broken exchange in
    a unit test under tests/checks/ (which names its id)."""
    unit_sources = "\n".join(path.read_text(encoding="utf-8") for path in sorted(UNIT_TESTS.glob("test_*.py")))
    here = {case.check_id for case in CASES.values() if case.bug is None}
    gaps = [info.id for info in ALL_CHECKS
            if info.id not in here and not re.search(rf"[\"']{re.escape(info.id)}[\"']", unit_sources)]
    assert not gaps, f"checks no test shows failing: {gaps}"


def test_cases_name_registered_checks() -> None:
    known = {info.id for info in ALL_CHECKS}
    assert {name: case.check_id for name, case in CASES.items() if case.check_id not in known} == {}


def test_strict_profile_raises_every_warning_check() -> None:
    """Warning-level checks never fail a run on their own: the profile of these runs makes them errors."""
    raised = {check_id for check_id, setting in load_profile(STRICT_PROFILE).checks.items() if setting == "error"}
    assert sorted({info.id for info in ALL_CHECKS if info.severity == "warning"} - raised) == []
