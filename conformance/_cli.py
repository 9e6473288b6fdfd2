"""The `conformance` command line.

Every command is a function taking the parsed arguments and returning an exit code. Errors the
user can fix (bad option, unreadable file, unreachable target) end in one line on stderr and
exit code 2 (3 for an unreachable target): no traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from conformance.__about__ import __version__
from conformance._argtypes import non_negative_float, port
from conformance._exit import EXIT_DEPARTURES, EXIT_OK, EXIT_UNREACHABLE, EXIT_USAGE  # noqa: F401 (re-exported)
from conformance.contract import ContractError


class UsageError(Exception):
    """A problem with how the tool was called; reported in one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # argparse prints usage and exits 2; we keep the exit code, in one line.
        raise UsageError(f"{self.prog}: {message}")


Command = Callable[[argparse.Namespace], int]


def cmd_serve(args: argparse.Namespace) -> int:
    from conformance.server import ServerConfig, run_server, scenario_listing

    if args.list_scenarios:
        print(scenario_listing())
        return EXIT_OK
    if args.data_dir is not None and args.data_dir.exists() and not args.data_dir.is_dir():
        raise UsageError(f"--data-dir {args.data_dir}: not a folder")
    config = ServerConfig(seed=args.seed, data_dir=args.data_dir, any_id=args.any_id, mock=args.mock, batch_delay=args.batch_delay)
    run_server(config, host=args.host, port=args.port, log_level=args.log_level)
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from conformance._runner import run
    from conformance.engine import RunConfig

    config = RunConfig.from_arguments(args).check()  # a bad option, profile or spec: one line first
    if config.baseline is not None:
        _check_baseline(config.baseline)  # a bad baseline, too
    return run(config)


def cmd_merge(args: argparse.Namespace) -> int:
    from conformance.reports import MergeError, merge_results, write_reports
    from conformance.reports import exit_code as verdict

    try:
        results = merge_results([_load_results(path) for path in args.results])
    except MergeError as exc:
        raise UsageError(str(exc)) from None
    code = verdict(results)
    results["run"]["exit_code"] = code
    try:
        written = write_reports(results, args.report_dir)
    except OSError as exc:
        raise UsageError(f"cannot write the reports: {exc}") from None
    from conformance.reports import print_summary

    print_summary(results, sys.stdout, "normal", [str(path) for path in written])
    return code


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


def cmd_validate(args: argparse.Namespace) -> int:
    from conformance.cassettes import validate_files
    from conformance.contract import load_contract
    from conformance.engine import load_profile

    return validate_files(args.files, load_contract(args.spec), load_profile(args.profile), verbose=args.verbose)


def cmd_drift(args: argparse.Namespace) -> int:
    from conformance.drift import DiffReport, ObservedReport, SdkReport, diff_files, observed_drift, render

    report: DiffReport | ObservedReport | SdkReport
    if args.sdk is not None:
        if args.documents or args.observed:
            raise UsageError("conformance drift: --sdk compares one SDK with --spec; no OLD NEW or --observed with it")
        from conformance.contract import load_contract
        from conformance.drift import sdk_drift

        report = sdk_drift(load_contract(args.spec), args.sdk or None).without(args.ignore)
    elif args.observed and not args.documents:
        from conformance.cassettes import cassette_files, read_exchanges
        from conformance.contract import load_contract

        contract = load_contract(args.spec)  # a bad contract fails before any cassette is read
        paths = cassette_files(args.observed)  # a folder stands for every cassette under it
        report = observed_drift(contract, (exchange for path in paths for exchange in read_exchanges(path)))
    elif len(args.documents) == 2 and not args.observed and args.spec is None:
        report = diff_files(*args.documents).without(args.ignore)
    else:
        raise UsageError("conformance drift: give OLD NEW (two documents), --observed FILES... or --sdk [PATH] [--spec S]")
    sys.stdout.write(render(report, args.format))
    return EXIT_DEPARTURES if report.failing(args.fail_on) else EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="conformance",
        description="Contract and conformance test suite for the Anthropic API.",
    )
    parser.add_argument("--version", action="version", version=f"conformance {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    run = commands.add_parser(
        "run",
        help="test a server against the contract (default: the embedded reference server)",
        description="Run the conformance suite. Exit codes: 0 conformant, 1 departures, 2 usage error, "
        "3 target unreachable or credentials rejected. Arguments after -- go to pytest.",
    )
    from conformance.engine import RunConfig

    RunConfig.add_arguments(run)
    run.set_defaults(func=cmd_run)

    merge = commands.add_parser(
        "merge",
        help="join the results.json of a sharded run's parts into one run's reports",
        description="Merge the results.json files of `conformance run --shard K/N` parts (one per CI "
        "machine) into one run: the findings, the matrix and the verdict of the whole. Exit codes as "
        "`conformance run`'s.",
    )
    merge.add_argument("results", nargs="+", metavar="RESULTS.json", help="each part's results.json")
    merge.add_argument("--report-dir", default="reports", metavar="DIR", help="where to write the merged reports")
    merge.set_defaults(func=cmd_merge)

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
    validate.add_argument("files", nargs="+", type=Path, help="cassettes (vcrpy or Ruby VCR YAML/JSON, HAR; gzipped too) or folders of them (a recording)")
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
    serve.add_argument("--port", type=port, default=8765, help="port (default: 8765; 0 picks a free one)")
    serve.add_argument("--seed", type=int, default=0, help="varies the deterministic model's output (default: 0)")
    serve.add_argument("--data-dir", type=Path, default=None, help="keep state in SQLite under this folder")
    serve.add_argument("--any-id", action="store_true", help="resolve unknown ids to synthesized objects")
    serve.add_argument("--mock", action="store_true", help="mock mode for client tests: accept what the schemas accept (docs/clients.md)")
    serve.add_argument("--list-scenarios", action="store_true", help="list the scripted scenarios (x-conformance-scenario) and exit")
    serve.add_argument(
        "--batch-delay", type=non_negative_float, default=0.0, help="seconds a batch stays in progress (default: 0)"
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
