"""The terminal: the summary (matrix, important findings with reproducers, verdict) in plain text
when not on a terminal, quiet and verbose modes, and the live progress display."""

from __future__ import annotations

import contextlib
import io
import re

from rich.console import Console

from conformance._runner import run_suite
from conformance.engine import RunConfig
from conformance.reports import LiveProgress, print_summary
from tests.reports.conftest import MODELS, Run

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def test_the_summary_shows_the_matrix_the_findings_and_the_verdict_in_plain_text(broken_run: Run) -> None:
    out = broken_run.out
    assert not ANSI.search(out)  # not a terminal: no colours, no cursor movement
    lines = out.splitlines()
    header = next(line for line in lines if line.lstrip().startswith("operation  "))
    assert header.split()[:4] == ["operation", "acceptance", "batches", "equivalence"]
    row = next(line for line in lines if line.lstrip().startswith("createMessage "))
    cells = dict(zip(header.split(), row.split(), strict=False))
    assert cells["sse"] == "FAIL" and cells["errors"] == "pass" and cells["batches"] == "·"
    assert any(line.startswith("skipped (21): countMessageTokens") for line in lines)
    finding = next(i for i, line in enumerate(lines) if line.startswith("error   sse.event_line  createMessage: "))
    assert lines[finding + 1].startswith("  curl -X POST http://127.0.0.1:")
    verdict = next(line for line in lines if line.startswith("conformance: "))
    assert re.match(r"conformance: \d+ exchanges with http://127\.0\.0\.1:\d+ \(profile reference\), [1-9]\d* errors", verdict)
    assert lines[-1] == f"reports: {', '.join(str(broken_run.folder / n) for n in ('junit.xml', 'results.json', 'summary.md', 'report.html'))}"


def test_quiet_keeps_the_verdict_and_verbose_shows_every_finding(broken_run: Run) -> None:
    quiet, verbose = io.StringIO(), io.StringIO()
    results = broken_run.results
    results["findings"] += [dict(results["findings"][0], id=str(n), check_id=f"sse.extra_{n:02}") for n in range(12)]
    print_summary(results, quiet, "quiet")
    print_summary(results, verbose, "verbose")
    assert quiet.getvalue().startswith("conformance: ") and "operation × check group" not in quiet.getvalue()
    assert "sse.extra_11" in verbose.getvalue() and "more (--verbose" not in verbose.getvalue()
    normal = io.StringIO()
    print_summary(results, normal, "normal")
    assert "… and 3 more (--verbose, or the reports)" in normal.getvalue()


def test_the_live_display_counts_operations_tests_and_findings() -> None:
    """Driven by pytest's hooks during a one-process run, drawn on a (forced) terminal."""
    screen = io.StringIO()
    live = LiveProgress(Console(file=screen, force_terminal=True, width=140))
    with contextlib.redirect_stdout(io.StringIO()):
        code, _ = run_suite(RunConfig(include=MODELS, quiet=True, workers=1), [live])
    assert code == 0
    drawn = ANSI.sub("", screen.getvalue())
    done, total = re.findall(r"operations \d+/\d+ · tests \S+ +(\d+)/(\d+) ", drawn)[-1]
    assert done == total and int(total) > 30  # every test of the suite, counted as it ended
    assert "operations 24/24 · tests" in drawn and "operations 0/24 · tests" in drawn
    assert re.search(r"0 errors · \d+ warnings", drawn)  # findings so far, as they come
