"""The suite's pytest options and the session they describe."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest

from conformance.contract import load_contract
from conformance.engine._profile import load_profile
from conformance.engine._session import Budget, Session
from conformance.engine._target import DEFAULT_VERSION, Target, embedded_server


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


@contextmanager
def session_from_options(config: pytest.Config) -> Iterator[Session]:
    option = config.getoption
    base_url = option("--conformance-base-url")
    profile_name = option("--conformance-profile") or ("reference" if base_url is None else "anthropic")
    profile = load_profile(profile_name)
    max_examples = option("--conformance-max-examples")
    if max_examples is not None:
        profile = _with(profile, max_examples=max_examples)
    budget_limit = option("--conformance-budget-tokens") or profile.budget_tokens
    contract = load_contract(option("--conformance-spec"))
    with ExitStack() as stack:
        embedded = base_url is None
        if embedded:
            base_url = stack.enter_context(embedded_server(seed=option("--conformance-seed")))
        api_key = option("--conformance-api-key") or os.environ.get("ANTHROPIC_API_KEY") or ("test-key" if embedded else None)
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


def _with(profile, **changes):  # type: ignore[no-untyped-def]
    from dataclasses import replace

    return replace(profile, **changes)
