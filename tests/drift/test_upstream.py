"""The published 1.6 MB OpenAPI document (../shared/upstream): fast, and the known differences found.

Skips cleanly when ../shared is absent. docs/drift.md discusses the full run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.contract import bundled_contract_path
from conformance.drift import DiffReport, diff_files
from tests._traffic import SHARED

pytestmark = pytest.mark.shared

UPSTREAM = SHARED / "upstream" / "anthropic-openapi-2026-05-06.json"


@pytest.fixture(scope="module")
def upstream() -> Path:
    if not UPSTREAM.is_file():
        pytest.skip("../shared/upstream is not available")
    return UPSTREAM


@pytest.fixture(scope="module")
def report(upstream: Path) -> DiffReport:
    return diff_files(bundled_contract_path(), upstream)


def test_upstream_diff_takes_seconds_not_minutes(report: DiffReport) -> None:
    assert report.seconds < 10  # about 0.3 s on the development machine, loading included


def test_upstream_against_itself_is_empty(upstream: Path) -> None:
    assert diff_files(upstream, upstream).changes == []


def test_known_differences(report: DiffReport) -> None:
    found = {(c.id, c.location, c.message) for c in report.changes}
    # The upstream document declares no stream; its event union is an unreferenced component.
    assert (
        "response.media-type.removed",
        "POST /v1/messages response 200",
        "media type text/event-stream removed",
    ) in found
    assert ("event.type.removed", "MessageStreamEvent", "event type `error` removed") in found
    # Upstream requires every nullable response field; the contract does not (docs/contract.md).
    assert (
        "response.property.required.added",
        "Message→BetaMessage.stop_sequence",
        "field `stop_sequence` became required",
    ) in found
    # The managed-agents families are out of the contract's scope.
    added = [c for c in report.changes if c.id == "operation.added"]
    assert len(added) > 50 and all("/v1/" in c.location for c in added)
    assert not [c for c in report.changes if c.id == "operation.removed"]


def test_reverse_direction(upstream: Path) -> None:
    reverse = diff_files(upstream, bundled_contract_path())
    assert {c.id for c in reverse.changes if c.id.startswith("operation.")} >= {"operation.removed"}
    assert ("event.type.added", "event type `error` added") in {(c.id, c.message) for c in reverse.changes}
