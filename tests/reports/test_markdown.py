"""summary.md: a pull-request comment that says what departs, and how to reproduce it."""

from __future__ import annotations

import copy
import re

from conformance.reports import to_markdown
from conformance.reports._markdown import MAX_CHARS
from tests.reports.conftest import Run


def test_a_clean_run_says_conformant_and_lists_what_did_not_run(clean_run: Run) -> None:
    text = clean_run.text("summary.md")
    assert text.startswith("## Anthropic API conformance: ✅ **conformant**")
    assert "| operation | acceptance | batches |" in text
    # A generated request may draw a warning (a random cursor the server rejects): never a failure.
    assert re.search(r"\| `listModels` \| (✅|⚠️) \|", text) and "`createMessage`" not in text.split("<sub>")[0]
    assert "skipped (22): createMessage, countMessageTokens" in text and "excluded by --include/--exclude" in text


def test_a_departure_shows_in_the_matrix_and_with_its_reproducer(broken_run: Run) -> None:
    text = broken_run.text("summary.md")
    results = broken_run.results
    new_errors = results["totals"]["new_errors"]
    assert text.startswith(f"## Anthropic API conformance: ❌ **{new_errors} departure")
    header = next(line for line in text.splitlines() if line.startswith("| operation |"))
    row = next(line for line in text.splitlines() if line.startswith("| `createMessage` |"))
    columns = [c.strip() for c in header.split("|")[1:-1]]
    cells = [c.strip() for c in row.split("|")[1:-1]]
    assert dict(zip(columns, cells, strict=False))["sse"] == "❌" and dict(zip(columns, cells, strict=False))["errors"] == "✅"
    assert "- ❌ **`sse.event_line`** on `createMessage`: " in text
    assert "<details><summary>reproduce</summary>" in text and "  curl -X POST " in text
    assert len(text) < 65_536


def test_server_text_cannot_inject_markup_and_the_comment_stays_under_the_limit(broken_run: Run) -> None:
    results = copy.deepcopy(broken_run.results)
    template = results["findings"][0]
    results["findings"] = [dict(template, id=str(n), check_id=f"sse.check_{n}", message=f"@everyone | <img src=x> {n} " + "x" * 3000)
                           for n in range(200)]
    text = to_markdown(results)
    assert not re.search(r"(?<!\\)(@everyone|<img)", text) and "\\@everyone \\| \\<img" in text
    assert len(text) <= MAX_CHARS
