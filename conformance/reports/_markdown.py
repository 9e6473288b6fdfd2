"""summary.md: the run in a pull-request comment (GitHub's limit is 65,536 characters).

A verdict line, the run's facts, the matrix of the operations that ran (those that did not are
listed under it), the departures with their reproducers folded away, stale baseline entries.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import Any

from conformance._reproduce import shorten
from conformance.reports._json import (
    FAIL,
    KNOWN,
    NOT_APPLICABLE,
    PASS,
    SKIPPED,
    UNSUPPORTED,
    WARN,
    important_findings,
    not_run_lines,
)

MAX_CHARS = 60_000
"""Below GitHub's comment limit, with room for a heading the workflow may add."""
MAX_FINDINGS = 25
REPRODUCER_CHARS = 1_500
MESSAGE_CHARS = 500

ICONS = {FAIL: "❌", KNOWN: "🔶", WARN: "⚠️", PASS: "✅", UNSUPPORTED: "🚫", SKIPPED: "⏭️", NOT_APPLICABLE: "·"}
LEGEND = "✅ pass · ⚠️ warnings only · ❌ fails · 🔶 fails, accepted by the baseline · · no check of the group applies"


def to_markdown(results: Mapping[str, Any]) -> str:
    run, totals = results["run"], results["totals"]
    if totals["new_errors"]:
        verdict = f"❌ **{totals['new_errors']} departure{'s' if totals['new_errors'] != 1 else ''}** from the contract"
    else:
        verdict = "✅ **conformant**" + (f" ({totals['errors']} known departures accepted)" if totals["errors"] else "")
    lines = [
        f"## Anthropic API conformance: {verdict}",
        "",
        (f"`{run['target']}` · profile `{run['profile']}` · contract {run['contract_version']} · "
        f"{run['exchanges']:,} exchanges · {totals['errors']} errors · {totals['warnings']} warnings · "
        f"{run['tokens']:,} tokens · {run['duration_seconds']:.1f} s"),
    ]
    if run["stop_reason"]:
        lines += ["", f"> Stopped early: {run['stop_reason']}"]
    lines += ["", *_matrix(results), "", f"<sub>{LEGEND}</sub>"]
    lines += [f"- {_escape(line)}" for line in not_run_lines(results)]
    findings = important_findings(results)
    if findings:
        lines += ["", f"### Findings ({len(findings)} causes, most serious first)", ""]
        for finding in findings[:MAX_FINDINGS]:
            lines += _finding(finding)
        if len(findings) > MAX_FINDINGS:
            lines.append(f"- … and {len(findings) - MAX_FINDINGS} more in report.html and results.json")
    stale = (results["baseline"] or {}).get("stale", [])
    if stale:
        lines += ["", f"### Stale baseline entries ({len(stale)})", "",
                  "Their check ran and found nothing: remove them from the baseline.", ""]
        lines += [f"- `{e['check_id']}` on `{e['operation_id'] or '(no operation)'}`: {_escape(e['reason'])}"
                  for e in stale]
    tool = results["tool"]
    lines += ["", (f"<sub>{tool['name']} {tool['version']} · results schema {results['schema_version']} · "
                  f"seed {run['seed']} · {run['started_at']}</sub>")]
    return _fit("\n".join(lines) + "\n")


def _matrix(results: Mapping[str, Any]) -> list[str]:
    rows = [r for r in results["operations"] if r["status"] not in (SKIPPED, UNSUPPORTED)]
    if not rows:
        return ["No operation ran."]
    groups = results["groups"]
    lines = ["| operation | " + " | ".join(groups) + " | exchanges |", "|---" * (len(groups) + 2) + "|"]
    for row in rows:
        cells = " | ".join(ICONS[row["groups"][g]] for g in groups)
        lines.append(f"| `{row['operation_id'] or '(no operation)'}` | {cells} | {row['exchanges']} |")
    return lines


def _finding(finding: Mapping[str, Any]) -> list[str]:
    icon = ICONS[KNOWN] if finding["baselined"] else ICONS[FAIL] if finding["severity"] == "error" else ICONS[WARN]
    where = f" (at `{_code(finding['location'])}`)" if finding["location"] else ""
    line = (f"- {icon} **`{finding['check_id']}`** on `{finding['operation_id'] or '(no operation)'}`: "
            f"{_escape(shorten(finding['message'], MESSAGE_CHARS))}{where}{_also(finding)}")
    if not finding["reproducer"]:
        return [line]
    reproducer = shorten(finding["reproducer"], REPRODUCER_CHARS)
    fence = "````" if "```" in reproducer else "```"
    # Every line indented: a fenced block inside a list item ends at the first line that is not.
    return [line, "  <details><summary>reproduce</summary>", "", f"  {fence}sh", textwrap.indent(reproducer, "  "),
            f"  {fence}", "  </details>"]


def _also(finding: Mapping[str, Any]) -> str:
    """The other findings of the cause, in a few words: their checks and where they occurred."""
    related = finding.get("related") or []
    if not related:
        return ""
    checks = ", ".join(f"`{c}`" for c in dict.fromkeys(f["check_id"] for f in related))
    return f"; with {len(related)} related ({checks})"


def _escape(text: str) -> str:
    """Free text (messages come from servers) kept from turning into markup or mentions."""
    text = " ".join(text.split())
    for char in "\\`*_[]<>|@#":
        text = text.replace(char, "\\" + char)
    return text


def _code(text: str) -> str:
    return text.replace("`", "'")


def _fit(text: str) -> str:
    if len(text) <= MAX_CHARS:
        return text
    return text[:MAX_CHARS - 120].rsplit("\n- ", 1)[0] + "\n\n… cut to fit a comment: see report.html\n"
