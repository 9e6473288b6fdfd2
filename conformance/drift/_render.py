"""Reports as text (terminals, CI logs), JSON (tools) and markdown (pull requests, docs/)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from typing import Literal

from conformance.drift._diff import Change, DiffReport
from conformance.drift._observed import Item, ObservedReport
from conformance.drift._rules import SEVERITIES
from conformance.drift._sdk import FAMILIES, SdkItem, SdkReport

Format = Literal["text", "json", "markdown"]
FORMATS: tuple[Format, ...] = ("text", "json", "markdown")
Report = DiffReport | ObservedReport | SdkReport

_MAX_OPERATIONS = 3  # operations listed per change in text and markdown; JSON has them all


def render(report: Report, format: Format = "text") -> str:
    """The report in one of FORMATS, ending with a newline."""
    if format == "json":
        return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
    if isinstance(report, DiffReport):
        return _diff_markdown(report) if format == "markdown" else _diff_text(report)
    if isinstance(report, SdkReport):
        return _sdk_markdown(report) if format == "markdown" else _sdk_text(report)
    return _observed_markdown(report) if format == "markdown" else _observed_text(report)


def _operations(change: Change) -> str:
    ops = change.operations
    if not ops or (len(ops) == 1 and change.location.startswith(ops[0])):
        return ""
    shown = ", ".join(ops[:_MAX_OPERATIONS])
    more = f" and {len(ops) - _MAX_OPERATIONS} more" if len(ops) > _MAX_OPERATIONS else ""
    return f"{shown}{more}"


def _summary(report: DiffReport) -> str:
    counts = ", ".join(
        f"{report.count(s)} {s}{'s' if s != 'info' and report.count(s) != 1 else ''}" for s in SEVERITIES
    )
    return f"{len(report.changes)} changes ({counts}) in {report.seconds:.2f}s"


def _diff_text(report: DiffReport) -> str:
    lines = [f"drift {report.old} → {report.new}"]
    for severity in SEVERITIES:
        changes = [c for c in report.changes if c.severity == severity]
        if not changes:
            continue
        lines.append("")
        lines.append(f"{severity.upper()} ({len(changes)})")
        for change in changes:
            lines.append(f"  {change.id}  {change.location}: {change.message}")
            if ops := _operations(change):
                lines.append(f"      via {ops}")
    if report.notes:
        lines.append("")
        lines.extend(f"note: {note}" for note in report.notes)
    lines.append("")
    lines.append(_summary(report))
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _diff_markdown(report: DiffReport) -> str:
    lines = [f"## Drift: `{report.old}` → `{report.new}`", "", _summary(report), ""]
    by_rule = Counter(c.id for c in report.changes)
    if by_rule:
        lines += ["| rule | severity | count |", "|---|---|---|"]
        severity = {c.id: c.severity for c in report.changes}
        for rule_id, count in sorted(
            by_rule.items(), key=lambda kv: (SEVERITIES.index(severity[kv[0]]), -kv[1], kv[0])
        ):
            lines.append(f"| `{rule_id}` | {severity[rule_id]} | {count} |")
        lines.append("")
    for level in SEVERITIES:
        changes = [c for c in report.changes if c.severity == level]
        if not changes:
            continue
        lines += [f"### {level} ({len(changes)})", "", "| rule | where | change | operations |", "|---|---|---|---|"]
        lines += [f"| `{c.id}` | {_cell(c.location)} | {_cell(c.message)} | {_cell(_operations(c))} |" for c in changes]
        lines.append("")
    if report.notes:
        lines += [f"- note: {_cell(note)}" for note in report.notes]
        lines.append("")
    return "\n".join(lines)


def _observed_text(report: ObservedReport) -> str:
    lines = [
        f"reality drift: {report.exchanges} exchanges against {report.spec} ({report.matched} matched an operation)"
    ]
    lines += _items_text("SEEN IN TRAFFIC, ABSENT FROM THE CONTRACT", report.unknown, with_count=True)
    lines += _items_text("IN THE CONTRACT, NEVER SEEN", report.unobserved, with_count=False)
    lines.append("")
    lines.append(f"{len(report.unknown)} absent from the contract, {len(report.unobserved)} never observed")
    return "\n".join(lines) + "\n"


def _items_text(title: str, items: Iterable[Item], *, with_count: bool) -> list[str]:
    items = list(items)
    lines = ["", f"{title} ({len(items)})"]
    for item in items:
        count = f"{item.count:>5}× " if with_count else ""
        lines.append(f"  {count}{item.kind:<11} {item.what}")
        if item.example:
            lines.append(f"         e.g. {item.example}")
    return lines


def _observed_markdown(report: ObservedReport) -> str:
    lines = [
        f"## Reality drift: `{report.spec}`",
        "",
        f"{report.exchanges} exchanges, {report.matched} matched an operation.",
        "",
        f"### Seen in traffic, absent from the contract ({len(report.unknown)})",
        "",
        "| kind | what | count | example |",
        "|---|---|---|---|",
    ]
    lines += [f"| {i.kind} | {_cell(i.what)} | {i.count} | {_cell(i.example)} |" for i in report.unknown]
    lines += [
        "",
        f"### In the contract, never seen ({len(report.unobserved)})",
        "",
        "| kind | what | where |",
        "|---|---|---|",
    ]
    lines += [f"| {i.kind} | {_cell(i.what)} | {_cell(i.example)} |" for i in report.unobserved]
    lines.append("")
    return "\n".join(lines)


def _coverage_rows(report: SdkReport) -> list[tuple[str, str, str]]:
    """(family, GA, beta) cells: `named/known (percent)`, families in FAMILIES order, then the total."""
    def cell(named: int, known: int) -> str:
        return f"{named}/{known} ({100.0 * named / known if known else 100.0:.1f}%)"
    rows = []
    for family in FAMILIES:
        ga, beta = report.coverage.get(("GA", family)), report.coverage.get(("beta", family))
        rows.append((family, cell(ga.named, ga.known) if ga else "-", cell(beta.named, beta.known) if beta else "-"))
    ga, beta = report.total("GA"), report.total("beta")
    rows.append(("all", cell(ga.named, ga.known), cell(beta.named, beta.known)))
    return rows


def _sdk_summary(report: SdkReport) -> str:
    return f"{len(report.missing)} missing from the contract, {len(report.gone)} required by the contract and gone from the SDK"


def _sdk_text(report: SdkReport) -> str:
    lines = [f"SDK drift: anthropic {report.sdk_version} ({report.sdk}) against {report.spec}", "",
             f"  {'family':<20} {'GA':>22} {'beta':>22}"]
    lines += [f"  {family:<20} {ga:>22} {beta:>22}" for family, ga, beta in _coverage_rows(report)]
    for title, items in (("IN THE SDK, NOT NAMED BY THE CONTRACT", report.missing),
                         ("REQUIRED BY THE CONTRACT, GONE FROM THE SDK", report.gone)):
        lines += ["", f"{title} ({len(items)})"]
        lines += [f"  {i.surface:<4} {i.family:<18} {i.kind:<7} {i.where}" for i in items]
    lines += ["", _sdk_summary(report)]
    return "\n".join(lines) + "\n"


def _sdk_items_markdown(title: str, items: list[SdkItem]) -> list[str]:
    lines = [f"### {title} ({len(items)})", "", "| surface | family | kind | where | SDK type |", "|---|---|---|---|---|"]
    lines += [f"| {i.surface} | {i.family} | {i.kind} | `{_cell(i.where)}` | `{i.sdk_type}` |" for i in items]
    return [*lines, ""]


def _sdk_markdown(report: SdkReport) -> str:
    lines = [f"## SDK drift: anthropic {report.sdk_version} against `{report.spec}`", "", _sdk_summary(report), "",
             "| family | GA | beta |", "|---|---|---|"]
    lines += [f"| {family} | {ga} | {beta} |" for family, ga, beta in _coverage_rows(report)]
    lines.append("")
    lines += _sdk_items_markdown("In the SDK, not named by the contract", report.missing)
    lines += _sdk_items_markdown("Required by the contract, gone from the SDK", report.gone)
    return "\n".join(lines)
