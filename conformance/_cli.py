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
from conformance.contract import ContractError

EXIT_OK = 0
EXIT_DEPARTURES = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3


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


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="conformance",
        description="Contract and conformance test suite for the Anthropic API.",
    )
    parser.add_argument("--version", action="version", version=f"conformance {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

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
