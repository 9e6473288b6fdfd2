"""The two adjustments to the generation libraries (engine._patches): the memoized example
fill-ins send exactly the requests schemathesis sends without them, in fewer fill-ins; both give
way quietly when a library release removes what they patch."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from unittest import mock

import pytest

from conformance.contract import load_contract
from conformance.engine import Session, Target, generation_scope, load_profile, run_operations, schemathesis_schema
from conformance.engine._patches import memoized_fill_ins, without_local_constants
from conformance.server import serve_reference

OPERATIONS = ["createMessage", "countMessageTokens"]


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with serve_reference() as base:
        yield base


def _requests(url: str, scope: AbstractContextManager[None]) -> tuple[str, int]:
    """A digest of the generated requests (examples phase), and how many exchanges they were."""
    sent: list[tuple[str, str, bytes | None]] = []
    with without_local_constants(), scope:
        profile = replace(load_profile("reference"), phases=("examples",), max_examples=2)
        session = Session.create(load_contract(), profile, Target(url, api_key="k"))
        judge = session.judge

        def keep(exchange):  # type: ignore[no-untyped-def]
            sent.append((exchange.request.method, exchange.request.path, exchange.request.body))
            return judge(exchange)

        session.judge = keep  # type: ignore[method-assign]
        run_operations(session, schemathesis_schema(session), OPERATIONS, ["examples"])
    return hashlib.sha256(repr(sent).encode()).hexdigest(), len(sent)


def test_memoized_fill_ins_send_the_same_requests(url: str) -> None:
    from schemathesis.specs.openapi import examples

    if not hasattr(examples, "_generate_single_example"):
        pytest.skip("this schemathesis has no _generate_single_example: runs are simply not sped up")
    calls: list[int] = []
    real = examples._generate_single_example

    def counting(*args):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*args)

    with mock.patch.object(examples, "_generate_single_example", counting):
        plain = _requests(url, nullcontext())
        plain_calls = len(calls)
        calls.clear()
        memoized = _requests(url, memoized_fill_ins())
    assert plain == memoized and plain[1] > 10
    assert len(calls) < plain_calls  # the same schemas were filled in once


def test_without_the_patched_functions_the_run_goes_on(url: str) -> None:
    from hypothesis.internal.conjecture import providers
    from schemathesis.specs.openapi import examples

    with mock.patch.object(examples, "_generate_single_example", None), \
            mock.patch.object(providers, "_get_local_constants", None):
        delattr(examples, "_generate_single_example")
        delattr(providers, "_get_local_constants")
        with generation_scope():
            pass  # nothing to patch: no error
