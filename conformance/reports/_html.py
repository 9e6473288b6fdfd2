"""report.html: one self-contained page (inline CSS, JS and SVG; nothing fetched) that opens offline.

The conformance matrix is an SVG picture (click a cell to filter the findings); filters narrow the
findings by severity, group, operation and text; each finding opens onto its message, reproducer
and the request, response and SSE events behind it. Rendered with Jinja2 and autoescaping: every
string in the page came from a server under test and is escaped as text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from conformance.reports._findings import flat_findings
from conformance.reports._json import (
    FAIL,
    KNOWN,
    NOT_APPLICABLE,
    PASS,
    SKIPPED,
    UNSUPPORTED,
    WARN,
    important_findings,
)

COLOURS = {PASS: "#2da44e", WARN: "#d4a72c", FAIL: "#cf222e", KNOWN: "#e16f24", UNSUPPORTED: "#8250df",
           SKIPPED: "#afb8c1", NOT_APPLICABLE: "#eaeef2"}
LABELS = {PASS: "pass", WARN: "warn", FAIL: "fail", KNOWN: "known", UNSUPPORTED: "unsupported", SKIPPED: "skipped",
          NOT_APPLICABLE: "n/a"}
CELL_WIDTH, CELL_HEIGHT, LABEL_WIDTH, HEADER_HEIGHT = 92, 24, 210, 30


def to_html(results: Mapping[str, Any]) -> str:
    import jinja2  # imported when used: the engine imports this package for its samples

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("conformance.reports", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    environment.filters["pretty"] = _pretty
    template = environment.get_template("report.html.j2")
    return template.render(
        results=results,
        findings=important_findings(results),
        colours=COLOURS, labels=LABELS,
        cell=(CELL_WIDTH, CELL_HEIGHT), label_width=LABEL_WIDTH, header_height=HEADER_HEIGHT,
        operations=sorted({f["operation_id"] or "" for f in flat_findings(results)}),
    )


def _pretty(body: str | None) -> str:
    """A JSON body indented for reading; anything else as it came."""
    if not body:
        return ""
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the stack
        return body
