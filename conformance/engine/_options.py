"""The suite's pytest options and the session they describe."""

from __future__ import annotations

import os
from urllib.parse import urlsplit
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conformance.contract import load_contract
from conformance.engine._profile import Profile, load_profile
from conformance.engine._session import Budget, Session
from conformance.engine._target import DEFAULT_VERSION, Target, embedded_server

if TYPE_CHECKING:  # imported when used: vcrpy is only needed by runs that record
    from conformance.cassettes._record import Recording


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "Anthropic API conformance")
    group.addoption("--conformance-base-url", default=None,
                    help="the server under test (default: start the embedded reference server)")
    group.addoption("--conformance-api-key", default=None, help="API key (default: $ANTHROPIC_API_KEY)")
    group.addoption("--conformance-version", default=DEFAULT_VERSION, help="anthropic-version to send")
    group.addoption("--conformance-beta", action="append", default=[], help="anthropic-beta value (repeatable)")
    group.addoption("--conformance-spec", default=None, help="contract file (default: the bundled contract)")
    group.addoption("--conformance-profile", default=None,
                    help="profile name or TOML file (default: reference for the embedded server, else anthropic)")
    group.addoption("--conformance-include", action="append", default=[],
                    help="operation id, check id or check group to keep (repeatable)")
    group.addoption("--conformance-exclude", action="append", default=[],
                    help="operation id, check id or check group to leave out (repeatable)")
    group.addoption("--conformance-max-examples", type=int, default=None, help="examples per operation")
    group.addoption("--conformance-seed", type=int, default=0, help="generation seed (same seed, same requests)")
    group.addoption("--conformance-budget-tokens", type=int, default=None, help="stop after this many tokens")
    group.addoption("--conformance-timeout", type=float, default=60.0, help="seconds per network wait")
    group.addoption("--conformance-record", action="store_true", default=False,
                    help="record the run into <cassette-dir>/<target>/ (HTTP cache mode: --record-mode, default rewrite)")
    group.addoption("--conformance-replay", action="store_true", default=False,
                    help="not under pytest: `conformance run --replay` judges a recording")
    group.addoption("--conformance-cassette-dir", default="cassettes",
                    help="cassettes folder; each target records into <folder>/<target>/ (default: cassettes)")


@contextmanager
def session_from_options(config: pytest.Config) -> Iterator[Session]:
    option = config.getoption
    base_url = option("--conformance-base-url")
    profile = profile_from_options(config)
    budget_limit = option("--conformance-budget-tokens") or profile.budget_tokens
    # The run's API version judges it: the header it sends, and what that version has without a beta.
    contract = load_contract(option("--conformance-spec")).for_version(option("--conformance-version"))
    with ExitStack() as stack:
        embedded = base_url is None
        if embedded:
            base_url = stack.enter_context(embedded_server(seed=option("--conformance-seed")))
        api_key = _api_key(config) or ("test-key" if embedded else None)
        target = Target(
            base_url=base_url,
            api_key=api_key,
            anthropic_version=option("--conformance-version"),
            betas=tuple(option("--conformance-beta")),
            timeout=option("--conformance-timeout"),
            embedded=embedded,
        )
        stack.callback(target.close)
        yield Session(
            contract=contract,
            profile=profile,
            target=target,
            include=tuple(option("--conformance-include")),
            exclude=tuple(option("--conformance-exclude")),
            seed=option("--conformance-seed"),
            budget=Budget(limit=budget_limit),
        )


def profile_from_options(config: pytest.Config) -> Profile:
    """The run's profile: --conformance-profile (default: by target), --conformance-max-examples applied."""
    option = config.getoption
    base_url = option("--conformance-base-url")
    profile = load_profile(option("--conformance-profile") or ("reference" if base_url is None else "anthropic"))
    max_examples = option("--conformance-max-examples")
    return profile if max_examples is None else _with(profile, max_examples=max_examples)


def recording_from_options(config: pytest.Config) -> Recording | None:
    """How the run is recorded, or None: --conformance-record, or pytest-recording's --record-mode,
    records; so does a run against the real API (where a second request costs money), unless
    pytest-recording's --disable-recording says not to. A replay is not a pytest run."""
    option = config.getoption
    record, replay = option("--conformance-record"), option("--conformance-replay")
    explicit = option("--record-mode", None)
    if replay or explicit == "none":
        raise pytest.UsageError("a replay judges the recording without running the suite: "
                                "use `conformance run --replay` (docs/cassettes.md)")
    base_url = option("--conformance-base-url")
    if record:
        mode = explicit or "rewrite"
    elif explicit is not None:
        mode = explicit
    elif option("--disable-recording", False) or not is_paid_api(base_url):
        return None
    else:
        mode = "new_episodes"  # record if missing: a paid request is never sent twice
    from conformance._reproduce import literal_secrets
    from conformance.cassettes._journal import Scrubber
    from conformance.cassettes._record import REFERENCE_BASE, Recording, run_header, target_name

    profile = profile_from_options(config)
    folder = Path(option("--conformance-cassette-dir"))
    if not folder.is_absolute():
        folder = config.invocation_params.dir / folder
    target = target_name(base_url)
    return Recording(
        mode=mode,
        folder=folder / target,
        canonical_base=REFERENCE_BASE if base_url is None else None,
        header=run_header(
            contract=load_contract(option("--conformance-spec")),
            profile=profile,
            seed=option("--conformance-seed"),
            include=option("--conformance-include"),
            exclude=option("--conformance-exclude"),
            anthropic_version=option("--conformance-version"),
            betas=option("--conformance-beta"),
            target=target,
            base_url=base_url or REFERENCE_BASE,
            budget_tokens=option("--conformance-budget-tokens") or profile.budget_tokens,
        ),
        http_cache=base_url is not None,  # the embedded server is free: no request is worth caching
        # The run's own key, scrubbed wherever it shows up; the embedded server's placeholder
        # key is too short to be one.
        scrubber=Scrubber(literal_secrets(_api_key(config))),
    )


def is_paid_api(base_url: str | None) -> bool:
    """The real API: where a run records by default, so that a request is never paid for twice."""
    host = (urlsplit(base_url).hostname or "") if base_url else ""
    return host == "anthropic.com" or host.endswith(".anthropic.com")


def _api_key(config: pytest.Config) -> str | None:
    return config.getoption("--conformance-api-key") or os.environ.get("ANTHROPIC_API_KEY")


def _with(profile, **changes):  # type: ignore[no-untyped-def]
    from dataclasses import replace

    return replace(profile, **changes)
