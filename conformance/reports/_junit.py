"""junit.xml: one test case per operation × check, for CI systems that show JUnit results.

Each operation is a test suite (`conformance.<operationId>`); each check that ran on it is a test
case (classname the operation, name the check id). A check with error findings fails, and the
failure text carries every message and the curl reproducer; a failure the baseline accepts is
reported as skipped ("known departure") so the JUnit view agrees with the exit code. Warnings pass,
with their messages in system-out. An operation that did not run has one skipped case per check,
with the reason (unsupported, excluded, not reached). Tests of the suite that broke (not the
target) are failures of the suite `conformance.suite`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import Any

from conformance.reports._findings import flat_findings
from conformance.reports._json import FAIL, KNOWN, SKIPPED, UNSUPPORTED

# Characters XML 1.0 cannot carry, even escaped; generated requests and broken servers produce them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def to_junit(results: Mapping[str, Any]) -> str:
    root = ET.Element("testsuites", name="conformance", timestamp=results["run"]["started_at"],
                      time=f"{results['run']['duration_seconds']:.3f}")
    durations = {t["operation_id"]: t["duration_seconds"] for t in results["tests"] if t["operation_id"]}
    exchange_checks = [c["id"] for c in results["checks"] if not c["scenario"]]
    for row in results["operations"]:
        operation = row["operation_id"] or "(no operation)"
        suite = ET.SubElement(root, "testsuite", name=f"conformance.{operation}",
                              time=f"{durations.get(row['operation_id'], 0.0):.3f}")
        if row["status"] in (UNSUPPORTED, SKIPPED):
            reason = f"{row['status']}: {row['reason']}" if row["reason"] else row["status"]
            for check_id in exchange_checks:
                ET.SubElement(_case(suite, operation, check_id), "skipped", message=reason)
            continue
        mine = [f for f in flat_findings(results) if f["operation_id"] == row["operation_id"]]
        for check_id, cell in row["checks"].items():
            case = _case(suite, operation, check_id)
            findings = [f for f in mine if f["check_id"] == check_id]
            errors = [f for f in findings if f["severity"] == "error"]
            if cell["status"] == FAIL:
                failure = ET.SubElement(case, "failure", message=errors[0]["message"], type=check_id)
                failure.text = _details(errors)
            elif cell["status"] == KNOWN:
                ET.SubElement(case, "skipped", message=f"known departure (baseline): {errors[0]['message']}")
            warnings = [f for f in findings if f["severity"] == "warning"]
            if warnings or cell["status"] == KNOWN:
                ET.SubElement(case, "system-out").text = _details(warnings + (errors if cell["status"] == KNOWN else []))
    crashes = [t for t in results["tests"] if t["outcome"] in ("failed", "error") and not t["departures"]]
    if crashes:
        suite = ET.SubElement(root, "testsuite", name="conformance.suite")
        for test in crashes:
            case = _case(suite, "conformance.suite", test["nodeid"])
            ET.SubElement(case, "error" if test["outcome"] == "error" else "failure",
                          message="the suite itself failed (not a departure)").text = test["message"] or ""
    _count(root)
    ET.indent(root)
    text = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + _NOT_XML.sub("\ufffd", text) + "\n"


def _case(suite: ET.Element, classname: str, name: str) -> ET.Element:
    return ET.SubElement(suite, "testcase", classname=classname, name=name)


def _details(findings: Sequence[Mapping[str, Any]]) -> str:
    """Every message, then the reproducer of the first finding that has one."""
    lines = [f"[{f['severity']}] {f['message']}" + (f" (at {f['location']})" if f["location"] else "")
             for f in findings]
    reproducer = next((f["reproducer"] for f in findings if f["reproducer"]), None)
    return "\n".join(lines) + (f"\n\nReproduce with:\n{reproducer}\n" if reproducer else "\n")


def _count(root: ET.Element) -> None:
    """The tests/failures/errors/skipped attributes every JUnit reader expects, suites and total."""
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for suite in root.iter("testsuite"):
        cases = suite.findall("testcase")
        counts = {"tests": len(cases), "failures": sum(1 for c in cases if c.find("failure") is not None),
                  "errors": sum(1 for c in cases if c.find("error") is not None),
                  "skipped": sum(1 for c in cases if c.find("skipped") is not None)}
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
