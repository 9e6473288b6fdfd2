"""The `conformance` command line.

Every command is a function taking the parsed arguments and returning an exit code. Errors the
user can fix (bad option, unreadable file, unreachable target) end in one line on stderr and
exit code 2 (3 for an unreachable target): no traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from conformance.__about__ import __version__
from conformance._exit import EXIT_DEPARTURES, EXIT_OK, EXIT_UNREACHABLE, EXIT_USAGE  # noqa: F401 (re-exported)
from conformance.contract import ContractError


class UsageError(Exception):
    """A problem with how the tool was called; reported in one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # argparse prints usage and exits 2; we keep the exit code, in one line.
        raise UsageError(f"{self.prog}: {message}")


Command = Callable[[argparse.Namespace], int]


def _port(value: str) -> int:
    port = int(value)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port number (0-65535)")
    return port


def _non_negative_float(value: str) -> float:
    number = float(value)
    if number < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative")
    return number


def cmd_serve(args: argparse.Namespace) -> int:
    from conformance.server import ServerConfig, run_server

    if args.data_dir is not None and args.data_dir.exists() and not args.data_dir.is_dir():
        raise UsageError(f"--data-dir {args.data_dir}: not a folder")
    config = ServerConfig(seed=args.seed, data_dir=args.data_dir, any_id=args.any_id, batch_delay=args.batch_delay)
    run_server(config, host=args.host, port=args.port, log_level=args.log_level)
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from conformance.engine._run import RunOptions, run

    if args.spec is not None and not Path(args.spec).is_file():
        raise UsageError(f"--spec {args.spec}: no such file")
    from conformance.contract import load_contract

    load_contract(args.spec).for_version(args.anthropic_version)  # a version the contract lacks: exit 2 up front
    if args.profile is not None:
        from conformance.engine._profile import load_profile

        load_profile(args.profile)  # a bad profile is a one-line usage error before anything runs
    if args.quiet and args.verbose:
        raise UsageError("conformance run: --quiet and --verbose exclude each other")
    if args.baseline is not None:
        _check_baseline(args.baseline)  # a bad baseline, too
    options = RunOptions(
        base_url=args.base_url,
        api_key=args.api_key or os.environ.get("ANTHROPIC_API_KEY"),
        anthropic_version=args.anthropic_version,
        betas=args.beta,
        spec=args.spec,
        profile=args.profile,
        include=args.include,
        exclude=args.exclude,
        max_examples=args.max_examples,
        seed=args.seed,
        workers=args.workers,
        budget_tokens=args.budget_tokens,
        timeout=args.timeout,
        quiet=args.quiet,
        pytest_args=[a for a in args.pytest_args if a != "--"],
        **_cassette_options(args),
        report_dir=args.report_dir or None,
        baseline=args.baseline,
        verbose=args.verbose,
    )
    return run(options)


def _check_baseline(path: str) -> None:
    from conformance.reports import BaselineError, load_baseline

    try:
        load_baseline(path)
    except BaselineError as exc:
        raise UsageError(str(exc)) from None


def _load_results(path: str) -> dict[str, object]:
    from conformance.reports import ResultsError, load_results

    try:
        return load_results(path)
    except ResultsError as exc:
        raise UsageError(str(exc)) from None


def cmd_baseline_create(args: argparse.Namespace) -> int:
    from conformance.reports import baseline_from_results

    baseline = baseline_from_results(_load_results(args.results), warnings=args.warnings)
    text = baseline.render()
    if args.output == "-":
        sys.stdout.write(text)
    else:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {args.output}: {exc}") from None
        print(f"{args.output}: {len(baseline.entries)} known departures", file=sys.stderr)
    return EXIT_OK


def cmd_compare(args: argparse.Namespace) -> int:
    from conformance.reports import compare_results, render_comparison

    comparison = compare_results(_load_results(args.old), _load_results(args.new))
    sys.stdout.write(render_comparison(comparison, args.format))
    return EXIT_DEPARTURES if comparison.failing(args.fail_on) else EXIT_OK


def _cassette_options(args: argparse.Namespace) -> dict[str, object]:
    """--record / --replay / --record-mode / --cassette-dir as RunOptions fields (docs/cassettes.md)."""
    if args.record and args.replay:
        raise UsageError("conformance run: --record and --replay exclude each other")
    mode = args.record_mode
    if args.replay and mode not in (None, "none"):
        raise UsageError(f"conformance run: --replay judges the recording (record mode none), not --record-mode {mode}")
    # A record mode alone turns recording on: none replays, any other mode records.
    replay = args.replay or mode == "none"
    record = not replay and (args.record or mode is not None)
    return {"record": record, "replay": replay, "record_mode": None if replay else mode,
            "cassette_dir": args.cassette_dir}


def cmd_validate(args: argparse.Namespace) -> int:
    from conformance.contract import load_contract
    from conformance.engine._profile import load_profile
    from conformance.engine._validate import validate_files

    return validate_files(args.files, load_contract(args.spec), load_profile(args.profile), verbose=args.verbose)


def cmd_drift(args: argparse.Namespace) -> int:
    from conformance.drift import diff_files, observed_drift, render

    if args.sdk is not None:
        if args.documents or args.observed:
            raise UsageError("conformance drift: --sdk compares one SDK with --spec; no OLD NEW or --observed with it")
        from conformance.contract import load_contract
        from conformance.drift import sdk_drift

        report = sdk_drift(load_contract(args.spec), args.sdk or None).without(args.ignore)
    elif args.observed and not args.documents:
        from conformance.cassettes import read_exchanges
        from conformance.contract import load_contract

        contract = load_contract(args.spec)  # a bad contract fails before any cassette is read
        paths = [  # a folder stands for every file under it
            found
            for arg in args.observed
            for found in (sorted(f for f in arg.rglob("*") if f.is_file()) if arg.is_dir() else [arg])
        ]
        report = observed_drift(contract, (exchange for path in paths for exchange in read_exchanges(path)))
    elif len(args.documents) == 2 and not args.observed and args.spec is None:
        report = diff_files(*args.documents).without(args.ignore)
    else:
        raise UsageError("conformance drift: give OLD NEW (two documents), or --observed FILES... [--spec S]")
    sys.stdout.write(render(report, args.format))
    return EXIT_DEPARTURES if report.failing(args.fail_on) else EXIT_OK


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive whole number")
    return number


# argparse names the type in its errors ("invalid <name> value: 'x'"): say what is expected.
_positive_int.__name__ = "positive whole number"
_port.__name__ = "port number"
_non_negative_float.__name__ = "non-negative number"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="conformance",
        description="Contract and conformance test suite for the Anthropic API.",
    )
    parser.add_argument("--version", action="version", version=f"conformance {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    from pytest_recording.plugin import (
        RECORD_MODES,  # the record modes are pytest-recording's
    )

    run = commands.add_parser(
        "run",
        help="test a server against the contract (default: the embedded reference server)",
        description="Run the conformance suite. Exit codes: 0 conformant, 1 departures, 2 usage error, "
        "3 target unreachable or credentials rejected. Arguments after -- go to pytest.",
    )
    run.add_argument("--base-url", default=None, help="server under test (default: the embedded reference server)")
    run.add_argument("--api-key", default=None, help="API key (default: $ANTHROPIC_API_KEY)")
    run.add_argument("--anthropic-version", default="2023-06-01",
                     help="API version to send and judge by: 2023-06-01 (default) or 2026-10-21 (docs/contract.md)")
    run.add_argument("--beta", action="append", default=[], help="anthropic-beta value to send (repeatable)")
    run.add_argument("--spec", default=None, help="contract file (default: the bundled contract)")
    run.add_argument("--profile", default=None, help="profile name or TOML file (default: reference, or anthropic with --base-url)")
    run.add_argument("--include", action="append", default=[], help="operation id, check id or group to keep (repeatable)")
    run.add_argument("--exclude", action="append", default=[], help="operation id, check id or group to leave out (repeatable)")
    run.add_argument("--max-examples", type=_positive_int, default=None, help="generated examples per operation")
    run.add_argument("--seed", type=int, default=0, help="generation seed: the same seed gives the same requests")
    run.add_argument("--workers", type=_positive_int, default=1, help="parallel workers (pytest-xdist)")
    run.add_argument("--budget-tokens", type=_positive_int, default=None, help="stop cleanly after this many tokens")
    run.add_argument("--timeout", type=float, default=60.0, help="seconds for any network wait (default: 60)")
    run.add_argument("-q", "--quiet", action="store_true", help="less output")
    run.add_argument("--record", action="store_true", help="record the run into CASSETTE_DIR/<target>/ (docs/cassettes.md)")
    run.add_argument("--replay", action="store_true",
                     help="judge the recorded run again with the current checks: nothing generated, nothing sent")
    run.add_argument("--record-mode", choices=RECORD_MODES, default=None,
                     help="record, with this pytest-recording mode for the HTTP cache of live targets "
                          "(default: rewrite with --record, new_episodes for api.anthropic.com); none replays")
    run.add_argument("--cassette-dir", default=None, help="cassettes folder (default: ./cassettes)")
    run.add_argument("-v", "--verbose", action="store_true", help="pytest's own output and every finding")
    run.add_argument("--report-dir", default="reports", metavar="DIR",
                     help="write junit.xml, results.json, summary.md, report.html here (default: reports; '' for none)")
    run.add_argument("--baseline", default=None, metavar="FILE",
                     help="known departures (conformance baseline create): only new ones fail the run")
    run.add_argument("pytest_args", nargs=argparse.REMAINDER, help="after --: options passed to pytest")
    run.set_defaults(func=cmd_run)

    baseline = commands.add_parser(
        "baseline",
        help="known departures a CI gate accepts (docs/reports.md)",
        description="Baselines of known departures, for `conformance run --baseline FILE`.",
    )
    baseline_commands = baseline.add_subparsers(dest="baseline_command", metavar="COMMAND", parser_class=_Parser,
                                                required=True)
    create = baseline_commands.add_parser(
        "create",
        help="write a baseline accepting every departure of a run",
        description="One entry (check id, operation, reason) per check and operation with an error in a "
        "results.json. Edit the reasons, commit the file, pass it to `conformance run --baseline`.",
    )
    create.add_argument("results", metavar="RESULTS.json", help="a results.json written by `conformance run`")
    create.add_argument("-o", "--output", required=True, metavar="FILE", help="baseline file to write ('-': stdout)")
    create.add_argument("--warnings", action="store_true", help="accept warnings too")
    create.set_defaults(func=cmd_baseline_create)

    compare = commands.add_parser(
        "compare",
        help="what got better or worse between two runs (two results.json)",
        description="Compare two runs check by check on each operation. Exit codes: 0, 1 when a check "
        "now fails (or an operation lost support) that did not before, 2 usage error.",
    )
    compare.add_argument("old", metavar="OLD.json", help="results.json of the earlier run")
    compare.add_argument("new", metavar="NEW.json", help="results.json of the later run")
    compare.add_argument("--format", choices=["text", "json", "markdown"], default="text", help="output format (default: text)")
    compare.add_argument("--fail-on", choices=["error", "warning"], default="error",
                         help="exit 1 on regressions into failures (error, default) or into warnings too")
    compare.set_defaults(func=cmd_compare)

    validate = commands.add_parser(
        "validate",
        help="check recorded exchanges (VCR cassettes, gzipped too, HAR) offline",
        description="Run the checks over recorded exchanges. Exit 1 when an exchange departs from the contract.",
    )
    validate.add_argument("files", nargs="+", type=Path, help="cassette (.yaml, .yml, .yaml.gz) or HAR files")
    validate.add_argument("--spec", default=None, help="contract file (default: the bundled contract)")
    validate.add_argument("--profile", default="anthropic", help="profile name or TOML file (default: anthropic)")
    validate.add_argument("-v", "--verbose", action="store_true", help="print warnings too")
    validate.set_defaults(func=cmd_validate)

    drift = commands.add_parser(
        "drift",
        help="what changed between two contracts, or where recorded traffic departs from one",
        description="`drift OLD NEW`: structural diff of two OpenAPI documents, each change classified "
        "(docs/drift.md lists the rules). `drift --observed FILES...`: fields, values, types, events, "
        "headers and statuses seen in cassettes or HAR files but absent from the contract, and what it "
        "describes that was never seen. Exit codes: 0, 1 with --fail-on when a change reaches that "
        "severity (observed: absent from the contract is a warning, never seen is info), 2 usage error.",
    )
    drift.add_argument("documents", nargs="*", type=Path, metavar="OLD NEW", help="two OpenAPI documents (YAML or JSON)")
    drift.add_argument("--spec", default=None, help="with --observed or --sdk: contract file (default: the bundled contract)")
    drift.add_argument("--sdk", nargs="?", const="", default=None, metavar="PATH",
                       help="compare an official anthropic SDK's types (the installed one, or PATH) with the contract")
    drift.add_argument("--observed", nargs="+", type=Path, default=[], metavar="FILE", help="cassettes or HAR files (or folders of them)")
    drift.add_argument("--format", choices=["text", "json", "markdown"], default="text", help="output format (default: text)")
    drift.add_argument("--fail-on", choices=["error", "warning", "info"], default=None, help="exit 1 when a change is this severe or worse")
    drift.add_argument("--ignore", action="append", default=[], metavar="RULE", help="leave out a rule id or id prefix (repeatable)")
    drift.set_defaults(func=cmd_drift)

    serve = commands.add_parser(
        "serve",
        help="run the reference server (a faithful Anthropic API on localhost)",
        description="Run the embedded reference server. Loopback only by default.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8765, help="port (default: 8765; 0 picks a free one)")
    serve.add_argument("--seed", type=int, default=0, help="varies the deterministic model's output (default: 0)")
    serve.add_argument("--data-dir", type=Path, default=None, help="keep state in SQLite under this folder")
    serve.add_argument("--any-id", action="store_true", help="resolve unknown ids to synthesized objects")
    serve.add_argument(
        "--batch-delay", type=_non_negative_float, default=0.0, help="seconds a batch stays in progress (default: 0)"
    )
    serve.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])
    serve.set_defaults(func=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if getattr(args, "func", None) is None:
            parser.print_help()
            return EXIT_USAGE
        return int(args.func(args))
    except (UsageError, ContractError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
