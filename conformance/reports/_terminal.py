"""The terminal: a live progress display while the suite runs, and the summary at the end.

Both use rich. The live display is a pytest plugin object driving a rich Progress on the real
stderr (a duplicate of the descriptor taken before pytest starts capturing), only when stderr is a
terminal; under pytest-xdist it counts tests as the workers report them, without live findings
(those stay in the workers until the end). The summary is plain text, without colour or cursor
movement, when its stream is not a terminal.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TextIO

import pytest
from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Column, Table
from rich.text import Text

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

Mode = Literal["quiet", "normal", "verbose"]
PLAIN_WIDTH = 160
"""Columns of the summary when it is not written to a terminal (CI logs, files)."""
LEGEND = ("pass · warn: warnings only · FAIL · known: accepted by the baseline · unsup: unsupported · skip: not run · "
          "·: no check of the group applies")
TOP_FINDINGS = 10
REPRODUCER_CHARS = {"normal": 400, "verbose": 1_500}

STYLES = {FAIL: "bold red", KNOWN: "yellow", WARN: "yellow", PASS: "green", UNSUPPORTED: "magenta",
          SKIPPED: "dim", NOT_APPLICABLE: "dim"}
LABELS = {FAIL: "FAIL", KNOWN: "known", WARN: "warn", PASS: "pass", UNSUPPORTED: "unsup", SKIPPED: "skip",
          NOT_APPLICABLE: "·"}


class LiveProgress:
    """Operations and tests done and left, findings so far, tokens spent."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(bar_width=30), MofNCompleteColumn(),
            _Findings(self), TimeElapsedColumn(), console=console, transient=True,
        )
        self.task: Any = None
        self.config: pytest.Config | None = None
        self.operations = [0, 0]  # done, total
        self._seen: set[str] = set()
        self._own_stream: TextIO | None = None

    @classmethod
    def on_stderr(cls) -> LiveProgress | None:
        """A display on the terminal behind stderr, or None when stderr is not a terminal."""
        if not sys.stderr.isatty():
            return None
        stream = os.fdopen(os.dup(sys.stderr.fileno()), "w", buffering=1)  # pytest's capture never sees it
        # Measured now: while tests run, pytest's capture hides every terminal rich would measure.
        live = cls(Console(file=stream, width=os.get_terminal_size(sys.stderr.fileno()).columns))
        live._own_stream = stream
        return live

    def pytest_configure(self, config: pytest.Config) -> None:
        self.config = config

    def _start(self, nodeids: Sequence[str]) -> None:
        if self.task is not None or not nodeids:
            return
        self.operations[1] = sum(1 for nodeid in nodeids if "::test_operation[" in nodeid)
        self.progress.start()
        self.task = self.progress.add_task(self._description(), total=len(nodeids))

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self._start([item.nodeid for item in session.items])  # in-process runs (xdist: below)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: Sequence[str]) -> None:
        self._start(ids)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.task is None or report.when != "teardown" or report.nodeid in self._seen:
            return
        self._seen.add(report.nodeid)
        if "::test_operation[" in report.nodeid:
            self.operations[0] += 1
        self.progress.update(self.task, advance=1, description=self._description())

    def _description(self) -> str:
        done, total = self.operations
        return f"operations {done}/{total} · tests" if total else "tests"

    def status(self) -> str:
        """Findings and tokens so far, read from the session at each refresh (a test can take a while)."""
        from conformance.suite import plugin_of

        plugin = plugin_of(self.config) if self.config is not None else None
        session = plugin.session if plugin is not None else None
        if session is None:  # xdist: findings live in the workers until they finish
            return ""
        findings, budget = session.record.findings, session.target.budget
        errors = sum(1 for f in findings if f.severity == "error")
        parts = [f"[red]{errors} errors[/]" if errors else "0 errors", f"{len(findings) - errors} warnings"]
        if budget.spent:
            limit = f"/{budget.limit:,}" if budget.limit else ""
            parts.append(f"{budget.spent:,}{limit} tokens")
        return " · ".join(parts)

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self.stop()

    def stop(self) -> None:
        if self.task is not None:
            self.progress.stop()
            self.task = None
        if self._own_stream is not None:
            self._own_stream.close()
            self._own_stream = None


class _Findings(ProgressColumn):
    def __init__(self, live: LiveProgress) -> None:
        super().__init__(table_column=Column(no_wrap=True))
        self.live = live

    def render(self, task: Task) -> Text:
        return Text.from_markup(self.live.status())


def console_for(out: TextIO) -> Console:
    """Colours and the terminal's width on a terminal; plain text, PLAIN_WIDTH wide, elsewhere."""
    if out.isatty():
        return Console(file=out, highlight=False)
    return Console(file=out, width=PLAIN_WIDTH, no_color=True, color_system=None, highlight=False, emoji=False)


def print_summary(results: Mapping[str, Any], out: TextIO, mode: Mode = "normal",
                  written: Sequence[str] = ()) -> None:
    """The end of a run: the matrix, the most important findings with reproducers, the verdict."""
    # Not on a terminal, rich pads table lines to the table's width: logs and pasted output are
    # better without, so the summary is drawn into a buffer first.
    buffer = None if out.isatty() else io.StringIO()
    console = console_for(out if buffer is None else buffer)
    if mode != "quiet":
        console.print()
        console.print(matrix_table(results))
        console.print(LEGEND, style="dim")
        for line in not_run_lines(results):
            console.print(line, soft_wrap=True)
        _print_findings(console, results, mode)
    for line in _verdict(results):
        console.print(line, soft_wrap=True)
    if written:
        console.print(f"reports: {', '.join(written)}", soft_wrap=True)
    if buffer is not None:
        out.write("".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines()))


def matrix_table(results: Mapping[str, Any]) -> Table:
    """Operations that ran × check groups; skipped and unsupported operations are listed below it."""
    groups = results["groups"]
    table = Table("operation", *groups, "exchanges", box=box.SIMPLE_HEAD, pad_edge=False,
                  title="operation × check group", title_justify="left")
    for row in results["operations"]:
        if row["status"] in (SKIPPED, UNSUPPORTED):
            continue
        cells = [Text(LABELS[row["groups"][g]], style=STYLES[row["groups"][g]]) for g in groups]
        table.add_row(Text(row["operation_id"] or "(no operation)", style=STYLES[row["status"]]), *cells,
                      str(row["exchanges"]))
    return table


def _print_findings(console: Console, results: Mapping[str, Any], mode: Mode) -> None:
    """One entry per cause, most serious first, with the checks and operations it also failed."""
    causes = important_findings(results)
    shown = causes if mode == "verbose" else causes[:TOP_FINDINGS]
    if not shown:
        return
    console.print()
    for finding in shown:
        style = "yellow" if finding["baselined"] or finding["severity"] == "warning" else "bold red"
        tag = "known" if finding["baselined"] else finding["severity"]
        related = finding.get("related") or []
        where = f" at {finding['location']}" if finding["location"] else ""
        operations = ", ".join(dict.fromkeys(f["operation_id"] or "(no operation)" for f in (finding, *related)))
        console.print(Text.assemble((f"{tag:<8}", style), (finding["check_id"], "bold"),
                                    f"  {operations}: {finding['message']}{where}"), soft_wrap=True)
        if related:
            checks = ", ".join(dict.fromkeys(f["check_id"] for f in related))
            console.print(Text(f"  the same cause: {len(related)} more ({checks})", style="dim"), soft_wrap=True)
        if finding["reproducer"] and (finding["severity"] == "error" or mode == "verbose"):
            console.print(Text("  " + shorten(finding["reproducer"], REPRODUCER_CHARS[mode]), style="dim"),
                          soft_wrap=True)
    if len(causes) > len(shown):
        console.print(f"… and {len(causes) - len(shown)} more (--verbose, or the reports)")


def _verdict(results: Mapping[str, Any]) -> list[str]:
    run, totals = results["run"], results["totals"]
    known = f" ({totals['errors'] - totals['new_errors']} accepted by the baseline)" if results["baseline"] else ""
    lines = [(f"conformance: {run['exchanges']} exchanges with {run['target']} (profile {run['profile']}), "
              f"{totals['errors']} errors{known}, {totals['warnings']} warnings, {run['tokens']} tokens "
              f"in {run['duration_seconds']:.1f}s")]
    if run["stop_reason"]:
        lines.append(f"  stopped early: {run['stop_reason']}")
    if run.get("aborted"):
        lines.append(f"  did not complete: {run['aborted']}")
    recording = run.get("recording")
    if recording and recording["mode"] == "record":
        lines.append(f"  recorded: {recording['folder']} ({recording.get('tests', 0)} tests; replay with --replay)")
    elif recording:
        versions = ", ".join(f"{name} {number}" for name, number in sorted((recording.get("versions") or {}).items()))
        lines.append(f"  replayed from {recording['folder']}" + (f" (recorded with {versions})" if versions else ""))
    for entry in (results["baseline"] or {}).get("stale", []):
        lines.append(f"  stale baseline entry: {entry['check_id']} on {entry['operation_id'] or '(no operation)'} "
                     "found nothing (fixed? remove it from the baseline)")
    return lines
