"""results.json: valid against its published JSON Schema, and saying what the run did."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from conformance.__about__ import __version__
from conformance.engine import RunConfig, RunRecord
from conformance.reports import SCHEMA_VERSION, ResultsError, load_results
from tests.reports.conftest import MODELS, Run

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "results.schema.json"


def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


@pytest.mark.parametrize("name", ["clean_run", "broken_run"])
def test_results_json_is_valid_against_the_published_schema(name: str, request: pytest.FixtureRequest) -> None:
    run: Run = request.getfixturevalue(name)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in _validator().iter_errors(run.results)]
    assert errors == []


def test_the_schema_version_is_the_one_the_schema_accepts() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validate(SCHEMA_VERSION, schema["properties"]["schema_version"])


def test_run_metadata(clean_run: Run) -> None:
    results, record = clean_run.results, clean_run.result.record
    assert record is not None
    run = results["run"]
    assert run["target"] == record.base_url and run["target"].startswith("http://127.0.0.1:")
    assert (run["profile"], run["contract_version"], run["anthropic_version"]) == ("reference", "2023-06-01", "2023-06-01")
    assert run["seed"] == 0 and run["include"] == MODELS and run["workers"] == RunConfig().processes and run["exit_code"] == 0
    assert run["exchanges"] == record.exchanges > 10 and run["tokens"] == record.tokens
    assert 0 < run["duration_seconds"] < 120 and run["started_at"] <= run["finished_at"]
    tool = results["tool"]
    assert tool["version"] == __version__ and tool["dependencies"]["schemathesis"] and tool["dependencies"]["pytest"]
    outcomes = {t["nodeid"].rsplit("::", 1)[-1]: t["outcome"] for t in results["tests"]}
    assert outcomes["test_operation[listModels]"] == "passed" and outcomes["test_operation[createMessage]"] == "skipped"


def test_the_matrix_of_a_clean_run(clean_run: Run) -> None:
    results = clean_run.results
    rows = {row["operation_id"]: row for row in results["operations"]}
    assert list(rows)[:2] == ["createMessage", "countMessageTokens"]  # the contract's order
    # A generated request may draw a warning (a random cursor the server rejects): never a failure.
    assert {rows["listModels"]["status"], rows["getModel"]["status"]} <= {"pass", "warn"}
    assert rows["listModels"]["groups"]["pagination"] == "pass" and rows["getModel"]["groups"]["pagination"] == "n/a"
    assert rows["listModels"]["checks"]["schema.body"]["runs"] == rows["listModels"]["exchanges"] > 0
    assert rows["createMessage"]["status"] == "skipped"
    assert rows["createMessage"]["reason"] == "excluded by --include/--exclude"
    totals = results["totals"]["operations"]
    assert (totals["fail"], totals["known"], totals["unsupported"]) == (0, 0, 0)
    assert totals["pass"] + totals["warn"] == 2 and totals["skipped"] == len(rows) - 2
    assert [f for f in results["findings"] if f["severity"] == "error"] == [] and results["baseline"] is None


def test_a_departure_its_cell_and_its_exchange(broken_run: Run) -> None:
    results = broken_run.results
    assert results["run"]["exit_code"] == 1 and results["totals"]["new_errors"] >= 1
    create = next(row for row in results["operations"] if row["operation_id"] == "createMessage")
    assert create["status"] == "fail" and create["groups"]["sse"] == "fail" and create["groups"]["errors"] == "pass"
    assert create["checks"]["sse.event_line"]["status"] == "fail"
    finding = next(f for f in results["findings"] if f["check_id"] == "sse.event_line")
    assert finding["group"] == "sse" and finding["operation_id"] == "createMessage" and not finding["baselined"]
    assert finding["reproducer"].startswith("curl -X POST ")
    exchange = results["samples"][finding["sample"]]["exchanges"][0]
    assert exchange["request"]["method"] == "POST" and exchange["request"]["url"].endswith("/v1/messages")
    assert json.loads(exchange["request"]["body"])["stream"] is True
    assert exchange["request"]["headers"]["x-api-key"] == "***"
    response = exchange["response"]
    assert response["status"] == 200 and response["body"] is None
    assert response["events"] and all(event["event"] is None for event in response["events"])  # the break itself
    assert json.loads(response["events"][0]["data"])["type"] == "message_start"


def test_load_results_reads_this_major_version_only(broken_run: Run, tmp_path: Path) -> None:
    assert load_results(broken_run.folder / "results.json")["schema_version"] == SCHEMA_VERSION
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps({**broken_run.results, "schema_version": "1.99", "added_later": True}))
    assert load_results(newer)["added_later"] is True  # minor versions only add fields
    other = tmp_path / "other.json"
    other.write_text(json.dumps({**broken_run.results, "schema_version": "2.0"}))
    with pytest.raises(ResultsError, match="schema 1.x"):
        load_results(other)


def test_run_records_merge_their_matrix_counts_across_workers(broken_run: Run) -> None:
    """What xdist workers send home: the counts add up, samples and operations survive the trip."""
    record = broken_run.result.record
    assert record is not None
    copy = RunRecord.from_dict(json.loads(json.dumps(record.to_dict())))
    assert copy == record
    merged = RunRecord()
    merged.merge(copy)
    merged.merge(RunRecord.from_dict(record.to_dict()))
    assert merged.operations == record.operations and merged.samples == record.samples
    assert merged.checks_run["listModels"]["schema.body"] == 2 * record.checks_run["listModels"]["schema.body"]
    assert merged.operation_exchanges["getModel"] == 2 * record.operation_exchanges["getModel"]
    assert len(merged.findings) == len(record.findings)  # the same findings are kept once
    legacy = {k: v for k, v in record.to_dict().items() if k not in ("checks_run", "samples", "finding_samples")}
    assert RunRecord.from_dict(legacy).checks_run == {}
