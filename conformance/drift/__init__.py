"""Spec drift: what changed between two contracts, and where traffic departs from one.

* `diff_files(old, new)` / `diff_contracts(...)`: a structural diff of two OpenAPI documents,
  each change classified by a rule of `RULES` (stable id, side, severity, whom it breaks);
* `observed_drift(contract, exchanges)`: reality drift, what recorded traffic shows that the
  contract lacks, and what the contract describes that the traffic never shows;
* `render(report, format)`: text, JSON or markdown.

docs/drift.md describes the rules and the runs on this project's documents.
"""

from conformance.drift._diff import (
    Change,
    DiffReport,
    diff_contracts,
    diff_documents,
    diff_files,
)
from conformance.drift._observed import Item, ObservedReport, observed_drift
from conformance.drift._render import FORMATS, Format, render
from conformance.drift._rules import RULES, SEVERITIES, Rule, Severity, rule

__all__ = [
    "FORMATS",
    "RULES",
    "SEVERITIES",
    "Change",
    "DiffReport",
    "Format",
    "Item",
    "ObservedReport",
    "Rule",
    "Severity",
    "diff_contracts",
    "diff_documents",
    "diff_files",
    "observed_drift",
    "render",
    "rule",
]
