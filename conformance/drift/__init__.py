"""Spec drift: what changed between two contracts, and where traffic departs from one.

* `diff_files(old, new)` / `diff_contracts(...)`: a structural diff of two OpenAPI documents,
  each change classified by a rule of `RULES` (stable id, side, severity, whom it breaks);
* `observed_drift(contract, exchanges)`: reality drift, what recorded traffic shows that the
  contract lacks, and what the contract describes that the traffic never shows;
* `sdk_drift(contract, sdk)`: what an official SDK's types know that the contract does not
  name (by family, at the right place), and what the contract requires that the SDK dropped;
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
from conformance.drift._sdk import FAMILIES, Coverage, SdkItem, SdkReport, sdk_drift
from conformance.drift._sdk_types import SdkTypes, locate_sdk, read_sdk_types

__all__ = [
    "FAMILIES",
    "FORMATS",
    "RULES",
    "SEVERITIES",
    "Change",
    "Coverage",
    "DiffReport",
    "Format",
    "Item",
    "ObservedReport",
    "Rule",
    "SdkItem",
    "SdkReport",
    "SdkTypes",
    "Severity",
    "diff_contracts",
    "diff_documents",
    "diff_files",
    "locate_sdk",
    "observed_drift",
    "read_sdk_types",
    "render",
    "rule",
    "sdk_drift",
]
