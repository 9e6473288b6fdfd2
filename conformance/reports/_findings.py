"""The findings of a results.json: causes (what reports show), each with the findings it caused."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def flat_findings(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every finding of a results.json, the causes' related ones too: one per check, operation and
    message (what the matrix, baselines and `conformance merge` count)."""
    return [item for finding in results["findings"] for item in (finding, *finding.get("related", []))]
