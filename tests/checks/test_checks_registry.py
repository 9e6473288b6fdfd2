"""The registry and runner: ids, severities, selection, crash containment, findings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conformance._exchange import Exchange
from conformance.checks import (
    CheckContext,
    Failure,
    _registry,
    check,
    registered_checks,
    run_checks,
)

if TYPE_CHECKING:
    from tests.checks.conftest import Build

DOCS = Path(__file__).resolve().parents[2] / "docs" / "checks.md"


@pytest.fixture
def scratch_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register test-only checks without leaking them into other tests."""
    monkeypatch.setattr(_registry, "_REGISTRY", dict(_registry._REGISTRY))


def test_ids_are_stable_dotted_and_grouped() -> None:
    infos = registered_checks()
    assert {info.group for info in infos} >= {"sse", "errors", "meaning"}
    for info in infos:
        assert info.id.startswith(info.group + ".") and info.id == info.id.lower()
        assert info.severity in ("error", "warning") and info.description


def test_every_check_is_documented(check_groups: frozenset[str]) -> None:
    text = DOCS.read_text()
    missing = [info.id for info in registered_checks() if info.group in check_groups and f"`{info.id}`" not in text]
    assert missing == []


@pytest.mark.usefixtures("scratch_registry")
def test_failure_severity_defaults_and_overrides(build: Build) -> None:
    @check("custom.flag", group="custom", severity="warning")
    def flag(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
        """Flags everything."""
        yield Failure("default severity", "here")
        yield Failure("raised", severity="error")

    findings = run_checks(build.error(400, "invalid_request_error"), select=lambda info: info.group == "custom")
    assert [(f.check_id, f.severity, f.message, f.location) for f in findings] == [
        ("custom.flag", "warning", "default severity", "here"),
        ("custom.flag", "error", "raised", None),
    ]
    assert next(i for i in registered_checks() if i.id == "custom.flag").description == "Flags everything."


@pytest.mark.usefixtures("scratch_registry")
def test_a_crashing_check_is_reported_not_raised(build: Build) -> None:
    @check("custom.crash", group="custom")
    def crash(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
        raise KeyError("boom")

    findings = run_checks(build.error(400, "invalid_request_error"), select=lambda info: info.id == "custom.crash")
    assert len(findings) == 1 and "KeyError" in findings[0].message and findings[0].severity == "error"


@pytest.mark.usefixtures("scratch_registry")
def test_options_reach_the_check(build: Build) -> None:
    seen = []

    @check("custom.opts", group="custom")
    def opts(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
        seen.append(ctx.options.get("count_tokens_tolerance"))
        return iter(())

    run_checks(
        build.error(400, "invalid_request_error"),
        CheckContext(options={"count_tokens_tolerance": 0.1}),
        select=lambda info: info.id == "custom.opts",
    )
    assert seen == [0.1]


@pytest.mark.parametrize("bad", ["Sse.x", "sse", "other.x", "sse.X-y"])
def test_bad_ids_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        check(bad, group="sse")


@pytest.mark.usefixtures("scratch_registry")
def test_an_id_cannot_be_taken_twice() -> None:
    with pytest.raises(ValueError, match="already registered"):

        @check("sse.terminal", group="sse")
        def other(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
            return iter(())


def test_findings_carry_operation_and_scrubbed_reproducer(build: Build) -> None:
    finding = run_checks(build.error(500, "overloaded_error"), select=lambda info: info.group == "errors")[0]
    assert finding.check_id == "errors.status_type" and finding.operation_id == "op"
    assert finding.reproducer is not None and "sk-ant-" not in finding.reproducer
    assert finding.to_dict()["check_id"] == "errors.status_type"


def test_every_registered_check_is_documented() -> None:
    """docs/checks.md lists every check id, so the documentation cannot fall behind the registry."""

    doc = (Path(__file__).resolve().parents[2] / "docs" / "checks.md").read_text()
    missing = [c.id for c in registered_checks() if f"`{c.id}`" not in doc]
    assert not missing, f"undocumented checks: {missing}"
