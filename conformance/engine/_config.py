"""RunConfig: everything a run is asked to do, declared once.

Each field carries its default, its help text and its command-line flag. The CLI's `conformance
run` options and the pytest plugin's `--conformance-*` options are generated from these
declarations, and `conformance run` hands pytest the config itself (the plugin reads it back from
pytest's option namespace, which pytest-xdist also hands its workers).

Precedence, written once (`RunConfig.profile_settings`): a flag given on the command line, then
the profile's setting, then the default declared here.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import Field, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from conformance._argtypes import non_negative_float, positive_int
from conformance.contract import ContractError, load_contract
from conformance.engine._profile import Profile, load_profile

DEFAULT_VERSION = "2023-06-01"
"""The `anthropic-version` a run sends unless told otherwise."""
DEFAULT_TIMEOUT = 60.0
"""Seconds for each network wait (connect, read between chunks, write, pool)."""
DEFAULT_RESPONSE_TIMEOUT = 300.0
"""Seconds for a whole response, from sending the request to its last byte (a slow drip or an
endless stream ends there): above the longest answer a conformance run asks for."""
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
"""Bytes of one response body, decompressed (an oversized body or a decompression bomb ends there)."""
DEFAULT_CASSETTES = "cassettes"
DEFAULT_REPORTS = "reports"
EMBEDDED_KEY = "test-key"
"""What a run sends as its key to the embedded server, which accepts any."""
AUTO_WORKERS = 4
"""The most processes a run of the embedded server starts by itself: past that, each worker's start
(about 1.5 CPU seconds) outweighs what it takes over of a default run."""
RECORD_MODES = ("once", "new_episodes", "none", "all", "rewrite")
"""pytest-recording's record modes (tests/cassettes checks they still are)."""
_SHARD = re.compile(r"^(\d+)/(\d+)$")


class ConfigError(ContractError):
    """A run asked for something that cannot be: one line, exit code 2."""


@dataclass(frozen=True)
class Shard:
    """One of `total` stable parts of a run (`--shard 2/4`)."""

    index: int
    total: int

    def __str__(self) -> str:
        return f"{self.index}/{self.total}"


def _record_mode(value: str) -> str:
    if value not in RECORD_MODES:
        raise argparse.ArgumentTypeError(f"invalid choice: {value!r} (choose from {', '.join(RECORD_MODES)})")
    return value


def parse_shard(text: str) -> Shard:
    match = _SHARD.match(text.strip())
    if match is None or not 1 <= int(match[1]) <= int(match[2]):
        raise argparse.ArgumentTypeError(f"{text!r} is not K/N with 1 <= K <= N")
    return Shard(int(match[1]), int(match[2]))


parse_shard.__name__ = "shard K/N"  # argparse names the type in its errors


def option(default: Any, help: str, *, flag: str | None = None, parse: Any = str, many: bool = False,
           pytest: bool = True, metavar: str | None = None, secret: bool = False) -> Any:
    """A RunConfig field: its default, help, flag (default `--<name>`), how one value is parsed,
    whether it repeats (`many`), whether the pytest plugin has it too (`--conformance-<name>`)."""
    metadata = {"help": help, "flag": flag, "parse": parse, "many": many, "pytest": pytest, "metavar": metavar}
    if many:
        return field(default=(), metadata=metadata)
    return field(default=default, metadata=metadata, repr=not secret)


@dataclass(frozen=True)
class RunConfig:
    """What `conformance run` (and `pytest --pyargs conformance.suite`) is asked to do."""

    base_url: str | None = option(None, "the server under test (default: start the embedded reference server)",
                                  metavar="URL")
    api_key: str | None = option(None, "API key (default: $ANTHROPIC_API_KEY)", secret=True)
    anthropic_version: str = option(DEFAULT_VERSION, "API version to send and judge by: 2023-06-01 or 2026-10-21",
                                    metavar="VERSION")
    betas: tuple[str, ...] = option((), "anthropic-beta value to send (repeatable)", flag="--beta", many=True,
                                    metavar="NAME")
    spec: str | None = option(None, "contract file (default: the bundled contract)", metavar="FILE")
    profile: str | None = option(None, "profile name or TOML file (default: reference for the embedded server, "
                                       "anthropic otherwise)", metavar="NAME|FILE")
    model: str | None = option(None, "the model requests name (default: the profile's, else the first the "
                                     "target's GET /v1/models lists)")
    include: tuple[str, ...] = option((), "operation id, check id or check group to keep (repeatable)", many=True,
                                      metavar="NAME")
    exclude: tuple[str, ...] = option((), "operation id, check id or check group to leave out (repeatable)",
                                      many=True, metavar="NAME")
    max_examples: int | None = option(None, "examples per operation (default: the profile's)", parse=positive_int,
                                      metavar="N")
    seed: int = option(0, "generation seed: the same seed sends the same requests", parse=int)
    budget_tokens: int | None = option(None, "stop cleanly once the target reports this many tokens spent "
                                             "(default: the profile's)", parse=positive_int, metavar="N")
    timeout: float = option(DEFAULT_TIMEOUT, "seconds for each network wait", parse=non_negative_float,
                            metavar="SECONDS")
    response_timeout: float = option(DEFAULT_RESPONSE_TIMEOUT, "seconds for a whole response, first byte sent to "
                                     "last byte read", parse=non_negative_float, metavar="SECONDS")
    max_response_bytes: int = option(DEFAULT_MAX_RESPONSE_BYTES, "bytes of one response body, decompressed",
                                     parse=positive_int, metavar="N")
    shard: Shard | None = option(None, "run part K of N (a stable split by test; `conformance merge` joins the parts)",
                                 parse=parse_shard, metavar="K/N")
    record: bool = option(False, "record the run into CASSETTE_DIR/<target>/ (docs/cassettes.md)")
    record_mode: str | None = option(None, "record, with this pytest-recording mode for the HTTP cache of live "
                                           "targets (default: rewrite with --record, new_episodes for "
                                           "api.anthropic.com); none replays", parse=_record_mode, pytest=False,
                                 metavar="MODE")
    cassette_dir: str = option(DEFAULT_CASSETTES, "recordings folder: each target records into <folder>/<target>/",
                               metavar="DIR")
    replay: bool = option(False, "judge the recorded run again with the current checks: nothing generated, "
                                 "nothing sent", pytest=False)
    workers: int | None = option(None, "run the suite in N processes (pytest-xdist; default: one per core, up to "
                                       f"{AUTO_WORKERS}, on the embedded server, else 1)", parse=positive_int,
                                 pytest=False, metavar="N")
    report_dir: str | None = option(DEFAULT_REPORTS, "write junit.xml, results.json, summary.md and report.html "
                                                     "here ('' for none)", pytest=False, metavar="DIR")
    baseline: str | None = option(None, "known departures (TOML): only others fail the run", pytest=False,
                                  metavar="FILE")
    quiet: bool = option(False, "print only the verdict", flag="-q", pytest=False)
    verbose: bool = option(False, "print pytest's output and every finding", flag="-v", pytest=False)
    pytest_args: tuple[str, ...] = option((), "after --: options passed to pytest", flag="pytest_args", many=True,
                                          pytest=False)

    # -- what the declarations say ------------------------------------------------------------

    @classmethod
    def options(cls) -> Iterator[Field[Any]]:
        yield from fields(cls)

    @property
    def key(self) -> str | None:
        """The key sent: --api-key, else $ANTHROPIC_API_KEY, else the embedded server's placeholder."""
        return self.api_key or os.environ.get("ANTHROPIC_API_KEY") or (EMBEDDED_KEY if self.embedded else None)

    @property
    def embedded(self) -> bool:
        """The target is the reference server this run starts."""
        return self.base_url is None

    @property
    def processes(self) -> int:
        """How many processes run the suite: --workers, else one per core (up to AUTO_WORKERS) when
        the target is the embedded server, else one. Every test starts that server with an empty
        store, so its traffic is the same whichever process runs it. Any other target, or a run with
        a token budget (each process counts its own), gets one process unless asked: the target's
        state and rate limits are shared."""
        if self.workers is not None:
            return self.workers
        if not self.embedded or os.environ.get("PYTEST_XDIST_WORKER"):  # never xdist inside an xdist worker
            return 1
        if self.load_profile().budget_tokens is not None:
            return 1
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        return max(1, min(AUTO_WORKERS, cores))

    def load_profile(self) -> Profile:
        """The run's profile with the command line's settings applied over it."""
        profile = load_profile(self.profile or ("reference" if self.embedded else "anthropic"))
        return replace(profile, **self.profile_settings())

    def profile_settings(self) -> dict[str, Any]:
        """The profile settings the command line overrides: CLI first, then the profile, then defaults."""
        given = {"max_examples": self.max_examples, "budget_tokens": self.budget_tokens, "model": self.model}
        return {name: value for name, value in given.items() if value is not None}

    def check(self) -> RunConfig:
        """Fail early, in one line, on what cannot run; returns self."""
        if self.quiet and self.verbose:
            raise ConfigError("--quiet and --verbose exclude each other")
        if self.record and self.replay:
            raise ConfigError("--record and --replay exclude each other")
        if self.replay and self.record_mode not in (None, "none"):
            raise ConfigError(f"--replay judges the recording (record mode none), not --record-mode {self.record_mode}")
        if self.spec is not None and not Path(self.spec).is_file():
            raise ConfigError(f"--spec {self.spec}: no such file")
        self.load_profile()  # a bad profile is a one-line error before anything runs
        load_contract(self.spec).for_version(self.anthropic_version)  # a version the contract lacks, too
        return self

    # -- the command line ---------------------------------------------------------------------

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """`conformance run`'s options."""
        for item in cls.options():
            meta = item.metadata
            flag = meta["flag"] or f"--{item.name.replace('_', '-')}"
            names = [flag] if flag.startswith("--") else [flag, f"--{item.name}"]
            if not flag.startswith("-"):  # a positional: what follows `--`
                parser.add_argument(flag, nargs=argparse.REMAINDER, help=_help(item))
            elif item.type in ("bool", bool):
                parser.add_argument(*names, dest=item.name, action="store_true", help=_help(item))
            else:
                parser.add_argument(*names, dest=item.name, type=meta["parse"], help=_help(item),
                                    action="append" if meta["many"] else "store", metavar=meta["metavar"],
                                    default=None)

    @classmethod
    def from_arguments(cls, namespace: argparse.Namespace) -> RunConfig:
        values = {item.name: getattr(namespace, item.name, None) for item in cls.options()}
        values["pytest_args"] = [arg for arg in values.get("pytest_args") or () if arg != "--"]
        mode = values.get("record_mode")
        if mode == "none":  # pytest-recording's "never record": that is a replay
            values.update(replay=True, record_mode=None)
        elif mode is not None and not values.get("replay"):
            values["record"] = True
        return cls._from(values)

    # -- pytest -------------------------------------------------------------------------------

    @classmethod
    def add_pytest_options(cls, group: Any) -> None:
        """The plugin's `--conformance-*` options (a pytest OptionGroup)."""
        for item in cls.options():
            meta = item.metadata
            if not meta["pytest"]:
                continue
            name = f"--conformance-{item.name.replace('_', '-')}"
            if item.type in ("bool", bool):
                group.addoption(name, dest=_dest(item.name), action="store_true", default=False, help=_help(item))
            else:
                group.addoption(name, dest=_dest(item.name), type=meta["parse"], help=_help(item), default=None,
                                action="append" if meta["many"] else "store", metavar=meta["metavar"])

    @classmethod
    def from_pytest(cls, option: Any) -> RunConfig:
        """The config from pytest's option namespace (`config.option`)."""
        values = {item.name: getattr(option, _dest(item.name), None) for item in cls.options()
                  if item.metadata["pytest"]}
        values["record_mode"] = getattr(option, "record_mode", None)  # pytest-recording's own option
        return cls._from(values)

    def pytest_values(self) -> Mapping[str, Any]:
        """This config as pytest option values (what `conformance run` sets on `config.option`)."""
        values = {_dest(item.name): _plain(getattr(self, item.name)) for item in self.options() if item.metadata["pytest"]}
        if self.record_mode is not None:
            values["record_mode"] = self.record_mode
        return values

    @classmethod
    def _from(cls, values: Mapping[str, Any]) -> RunConfig:
        """Defaults for what was not given; repeatable options as tuples; text parsed (a shard
        handed to a pytest-xdist worker arrives as `K/N`)."""
        given: dict[str, Any] = {}
        for item in cls.options():
            value = values.get(item.name)
            if value is None or value is False:
                continue
            if item.metadata["many"]:
                value = tuple(value)
            elif isinstance(value, str) and item.metadata["parse"] is not str:
                value = item.metadata["parse"](value)
            given[item.name] = value
        return cls(**given)


def _help(item: Field[Any]) -> str:
    """The declared help, with the declared default when it says something."""
    default = item.default
    shown = default not in (None, False, ()) and "default:" not in item.metadata["help"]
    return f"{item.metadata['help']} (default: {default})" if shown else str(item.metadata["help"])


def _plain(value: Any) -> Any:
    """A value as plain data (pytest-xdist sends worker input through execnet)."""
    if isinstance(value, Shard):
        return str(value)
    return list(value) if isinstance(value, tuple) else value


def _dest(name: str) -> str:
    return f"conformance_{name}"
