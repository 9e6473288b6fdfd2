"""Reports of a conformance run: results.json (versioned; every other report derives from it),
junit.xml, summary.md, report.html and the terminal; baselines of known departures; comparing runs.

    from conformance.reports import load_results, compare_results, render_comparison
    print(render_comparison(compare_results(load_results("old.json"), load_results("new.json"))))

docs/reports.md describes the formats; docs/results.schema.json is the JSON Schema of results.json.
"""

from conformance.engine import Outcome
from conformance.reports._baseline import (
    Baseline,
    BaselineError,
    Entry,
    baseline_from_results,
    load_baseline,
)
from conformance.reports._compare import (
    Change,
    Comparison,
    compare_results,
    render_comparison,
)
from conformance.reports._html import to_html
from conformance.reports._json import (
    SCHEMA_VERSION,
    STATUSES,
    ResultsError,
    RunInfo,
    build_results,
    load_results,
)
from conformance.reports._junit import to_junit
from conformance.reports._markdown import to_markdown
from conformance.reports._merge import MergeError, merge_results, record_of
from conformance.reports._reporter import REPORT_FILES, RunReporter, exit_code, write_reports
from conformance.reports._terminal import LiveProgress, print_summary

__all__ = [
    "REPORT_FILES",
    "SCHEMA_VERSION",
    "STATUSES",
    "Baseline",
    "BaselineError",
    "Change",
    "Comparison",
    "Entry",
    "LiveProgress",
    "MergeError",
    "Outcome",
    "ResultsError",
    "RunInfo",
    "RunReporter",
    "baseline_from_results",
    "build_results",
    "compare_results",
    "exit_code",
    "load_baseline",
    "load_results",
    "merge_results",
    "print_summary",
    "record_of",
    "render_comparison",
    "to_html",
    "to_junit",
    "to_markdown",
    "write_reports",
]
