"""junit.xml: one test case per operation × check; failures carry the reproducer."""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET

from conformance.reports import to_junit
from tests.reports.conftest import Run


def _cases(root: ET.Element, operation: str) -> dict[str, ET.Element]:
    suite = root.find(f"testsuite[@name='conformance.{operation}']")
    assert suite is not None, operation
    return {case.get("name", ""): case for case in suite.findall("testcase")}


def test_a_failing_check_fails_its_case_with_the_reproducer(broken_run: Run) -> None:
    root = ET.fromstring(broken_run.text("junit.xml"))
    cases = _cases(root, "createMessage")
    failure = cases["sse.event_line"].find("failure")
    assert failure is not None and failure.get("type") == "sse.event_line"
    assert "frames have no `event:` line" in (failure.get("message") or "")
    assert "Reproduce with:\ncurl -X POST " in (failure.text or "") and "x-api-key: ***" in (failure.text or "")
    assert cases["errors.envelope"].find("failure") is None and cases["sse.event_line"].get("classname") == "createMessage"


def test_every_check_that_ran_is_a_case_and_the_counts_add_up(broken_run: Run) -> None:
    root = ET.fromstring(broken_run.text("junit.xml"))
    results = broken_run.results
    listed = {row["operation_id"]: row for row in results["operations"]}
    assert set(_cases(root, "listModels")) == set(listed["listModels"]["checks"])
    assert all(case.find("failure") is None for case in _cases(root, "listModels").values())
    skipped = _cases(root, "countMessageTokens")  # excluded: every check skipped, with the reason
    assert skipped and all("excluded by --include/--exclude" in (c.find("skipped").get("message") or "")  # type: ignore[union-attr]
                           for c in skipped.values())
    cases = root.findall("testsuite/testcase")
    assert int(root.get("tests", "0")) == len(cases)
    assert int(root.get("failures", "0")) == sum(1 for c in cases if c.find("failure") is not None) >= 1
    assert int(root.get("skipped", "0")) == sum(1 for c in cases if c.find("skipped") is not None)


def test_known_departures_are_skipped_and_control_characters_never_break_the_xml(broken_run: Run) -> None:
    results = copy.deepcopy(broken_run.results)
    for finding in results["findings"]:
        finding["message"] += " \x00\x1b[31m"  # a server can send anything
        finding["baselined"] = True
    for row in results["operations"]:
        for cell in row["checks"].values():
            cell["status"] = "known" if cell["status"] == "fail" else cell["status"]
    root = ET.fromstring(to_junit(results))
    case = _cases(root, "createMessage")["sse.event_line"]
    assert case.find("failure") is None
    assert (case.find("skipped").get("message") or "").startswith("known departure (baseline): ")  # type: ignore[union-attr]
