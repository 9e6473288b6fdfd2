"""RunConfig: each option declared once, and both the command line and the pytest plugin built
from the declarations; a sharded run merged gives the unsharded run's verdicts."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from conformance._cli import build_parser, main
from conformance._exit import EXIT_OK
from conformance._runner import execute
from conformance.contract import ContractError
from conformance.engine import RunConfig, Shard, in_shard
from conformance.reports import MergeError, load_results, merge_results

SCENARIOS = ["-k", "test_models_pagination or test_operation or test_error_probes or test_semantics"]
FOCUS = ["listModels", "getModel", "createMessage"]


def _run_options() -> set[str]:
    run = next(a for a in build_parser()._subparsers._group_actions[0].choices.items() if a[0] == "run")[1]  # type: ignore[union-attr]
    return {option for action in run._actions for option in action.option_strings}


def test_every_field_is_an_option_of_the_command_line_and_the_pytest_ones_of_the_plugin(
        pytestconfig: pytest.Config) -> None:
    options = _run_options()
    for item in fields(RunConfig):
        flag = item.metadata["flag"] or f"--{item.name.replace('_', '-')}"
        assert flag in options or item.name == "pytest_args", item.name
    plugin = {name for name in vars(pytestconfig.option) if name.startswith("conformance_")}
    assert plugin == {f"conformance_{f.name}" for f in fields(RunConfig) if f.metadata["pytest"]}


def test_the_command_line_and_the_plugin_read_the_same_config() -> None:
    argv = ["run", "--base-url", "http://127.0.0.1:1", "--beta", "a", "--beta", "b", "--include", "listModels",
            "--max-examples", "3", "--seed", "7", "--shard", "2/3", "--timeout", "5", "--model", "m",
            "--record-mode", "once", "--", "-k", "x"]
    config = RunConfig.from_arguments(build_parser().parse_args(argv))
    assert config.betas == ("a", "b") and config.shard == Shard(2, 3) and config.record and config.record_mode == "once"
    assert config.pytest_args == ("-k", "x")
    namespace = argparse.Namespace(**json.loads(json.dumps(config.pytest_values())))  # as an xdist worker gets it
    back = RunConfig.from_pytest(namespace)
    for item in fields(RunConfig):
        if item.metadata["pytest"] or item.name == "record_mode":
            assert getattr(back, item.name) == getattr(config, item.name), item.name


def test_precedence_is_command_line_then_profile_then_default() -> None:
    assert RunConfig().load_profile().max_examples == 8  # the reference profile's
    assert RunConfig(max_examples=3, model="x", budget_tokens=9).load_profile().max_examples == 3
    assert RunConfig(budget_tokens=9).load_profile().budget_tokens == 9
    assert RunConfig(base_url="https://api.anthropic.com").load_profile().name == "anthropic"
    assert RunConfig().timeout == 60.0 and RunConfig().anthropic_version == "2023-06-01"


@pytest.mark.parametrize(("config", "message"), [
    (RunConfig(quiet=True, verbose=True), "--quiet and --verbose exclude each other"),
    (RunConfig(record=True, replay=True), "--record and --replay exclude each other"),
    (RunConfig(spec="/no/such.yaml"), "no such file"),
    (RunConfig(profile="no-such"), "unknown profile"),
])
def test_impossible_configs_are_one_line_errors(config: RunConfig, message: str) -> None:
    with pytest.raises(ContractError, match=message):
        config.check()


@pytest.mark.parametrize("argv", [["--shard", "0/2"], ["--shard", "3/2"], ["--shard", "two"]])
def test_a_bad_shard_is_a_usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", *argv]) == 2
    err = capsys.readouterr().err
    assert "--shard" in err and "K/N" in err and "\n" not in err.strip()


def test_shards_split_the_tests_stably_and_completely() -> None:
    names = [f"test_operations.py::test_operation[op{i}]" for i in range(200)]
    parts = [[n for n in names if in_shard(n, k, 3)] for k in (1, 2, 3)]
    assert sorted(sum(parts, [])) == sorted(names) and all(len(part) > 40 for part in parts)
    assert parts[0] == [n for n in names if in_shard(n, 1, 3)]  # the same every time


def test_a_sharded_run_merged_has_the_unsharded_verdicts(tmp_path: Path) -> None:
    def run(folder: str, shard: Shard | None) -> Path:
        result = execute(RunConfig(include=FOCUS, quiet=True, shard=shard, report_dir=str(tmp_path / folder),
                                   pytest_args=SCENARIOS))
        assert result.record is not None, result.problem
        return tmp_path / folder / "results.json"

    whole = load_results(run("whole", None))
    parts = [load_results(run(f"part{k}", Shard(k, 2))) for k in (1, 2)]
    assert all(part["run"]["exchanges"] < whole["run"]["exchanges"] for part in parts)
    merged = merge_results(parts)
    assert merged["run"]["exchanges"] == whole["run"]["exchanges"]
    assert merged["totals"] == whole["totals"]
    assert {(f["check_id"], f["operation_id"], f["message"]) for f in merged["findings"]} == \
        {(f["check_id"], f["operation_id"], f["message"]) for f in whole["findings"]}
    assert [(row["operation_id"], row["status"], row["groups"]) for row in merged["operations"]] == \
        [(row["operation_id"], row["status"], row["groups"]) for row in whole["operations"]]
    assert sorted(t["nodeid"] for t in merged["tests"]) == sorted(t["nodeid"] for t in whole["tests"])
    out = tmp_path / "merged"
    assert main(["merge", str(tmp_path / "part1" / "results.json"), str(tmp_path / "part2" / "results.json"),
                 "--report-dir", str(out)]) == EXIT_OK
    assert load_results(out / "results.json")["totals"] == whole["totals"]
    with pytest.raises(MergeError, match="not the parts of one sharded run"):
        merge_results([whole, parts[0]])


def test_plain_pytest_runs_the_suite_with_the_plugins_options(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "pytest", "--pyargs", "conformance.suite", "-p", "no:cacheprovider",
                           "-o", "addopts=", "-q", "--conformance-include", "listModels", "-k", "test_operation",
                           "--conformance-max-examples", "2"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "skipped" in done.stdout  # the operations --include left out


def test_the_embedded_server_gets_a_process_per_core_and_any_other_target_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(8)), raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 8)
    assert RunConfig().processes == 4  # AUTO_WORKERS: past that a worker's start outweighs its share
    assert RunConfig(workers=3).processes == 3
    assert RunConfig(base_url="http://127.0.0.1:9").processes == 1  # another's server: its state, its limits
    assert RunConfig(budget_tokens=100).processes == 1  # each process would count its own budget
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    assert RunConfig().processes == 1  # never xdist inside an xdist worker
