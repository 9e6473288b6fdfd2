"""Property tests over generated valid requests (Hypothesis):

* the accumulated stream equals the non-streaming response, and every stream passes the checker;
* usage.input_tokens equals count_tokens for the same conversation;
* output_tokens ≤ max_tokens, and stop_reason agrees with the content;
* tool inputs validate against their schemas — also for generated schemas, straight from the
  instance generator;
* the tokenizer round-trips and keeps the prefix rule the model relies on.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from conformance.server import ServerConfig, create_app
from conformance.server._jsongen import generate
from conformance.server._rng import Rng
from conformance.server._tokens import MAX_TOKEN_CHARS, count_text, tokenize
from tests.server._sse_rules import accumulate
from tests.server.conftest import assert_valid_stream, test_client

COUNT_KEYS = ("model", "messages", "system", "tools", "tool_choice", "thinking", "output_config")
MODELS = ("claude-sonnet-4-5", "claude-sonnet-4-6", "claude-opus-4-1", "claude-haiku-4-5-20251001")
EXAMPLES = int(os.environ.get("CONFORMANCE_PROPERTY_EXAMPLES", "100"))
"""Examples per property; raise it for a deeper run (e.g. CONFORMANCE_PROPERTY_EXAMPLES=5000)."""
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])



@pytest.fixture(scope="module")
def shared_client() -> Iterator[TestClient]:
    """One app for all examples: the model is pure, so examples cannot affect each other."""
    with test_client(create_app(ServerConfig())) as client:
        yield client


words = st.text(alphabet="abcdefghij XYZ,.!?\n", min_size=1, max_size=40).filter(lambda s: s.strip())

# -- JSON schemas ------------------------------------------------------------------------------

leaf_schemas = st.one_of(
    st.builds(lambda lo, extra: {"type": "string", "minLength": lo, "maxLength": lo + extra}, st.integers(0, 5), st.integers(0, 10)),
    st.builds(lambda lo, extra: {"type": "integer", "minimum": lo, "maximum": lo + extra}, st.integers(-50, 50), st.integers(0, 100)),
    st.builds(lambda lo, extra: {"type": "number", "exclusiveMinimum": lo, "maximum": lo + extra}, st.integers(-5, 5), st.integers(1, 10)),
    st.builds(lambda m: {"type": "integer", "multipleOf": m, "minimum": 0, "maximum": 100}, st.integers(1, 7)),
    st.just({"type": "boolean"}),
    st.just({"type": "null"}),
    st.just({"type": "string", "format": "date-time"}),
    st.lists(st.one_of(st.integers(), st.text(max_size=5)), min_size=1, max_size=4, unique=True).map(lambda v: {"enum": v}),
    st.one_of(st.integers(), st.text(max_size=5)).map(lambda v: {"const": v}),
)


def _object(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    props = st.dictionaries(st.text(alphabet="abcdefgh", min_size=1, max_size=6), children, max_size=4)
    return props.flatmap(lambda p: st.builds(
        lambda required, closed: {"type": "object", "properties": p, "required": required, **({"additionalProperties": False} if closed else {})},
        st.lists(st.sampled_from(sorted(p)), unique=True) if p else st.just([]),
        st.booleans(),
    ))


def _array(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(lambda items, lo, extra: {"type": "array", "items": items, "minItems": lo, "maxItems": lo + extra},
                     children, st.integers(0, 3), st.integers(0, 3))


schemas = st.recursive(leaf_schemas, lambda children: st.one_of(_object(children), _array(children)), max_leaves=12)
object_schemas = _object(schemas)


@SETTINGS
@given(schema=schemas, seed=st.integers(0, 2**64 - 1))
def test_generated_instances_validate(schema: dict[str, Any], seed: int) -> None:
    jsonschema.validate(generate(schema, Rng(seed)), schema, cls=jsonschema.Draft202012Validator)


# -- Messages requests -------------------------------------------------------------------------


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    turns = draw(st.lists(st.tuples(words, words), min_size=0, max_size=2))
    messages: list[dict[str, Any]] = []
    for question, answer in turns:
        messages += [{"role": "user", "content": question}, {"role": "assistant", "content": [{"type": "text", "text": answer}]}]
    last = draw(words)
    messages.append({"role": "user", "content": draw(st.sampled_from([last, [{"type": "text", "text": last}]]))})
    body: dict[str, Any] = {"model": draw(st.sampled_from(MODELS)), "messages": messages}
    tool_schemas = draw(st.lists(object_schemas, max_size=3))
    names = [f"tool_{i}" for i in range(len(tool_schemas))]
    if tool_schemas:
        body["tools"] = [{"name": n, "description": "d", "input_schema": s} for n, s in zip(names, tool_schemas, strict=False)]
        choice = draw(st.sampled_from(["default", "auto", "any", "tool", "none"]))
        if choice == "tool":
            body["tool_choice"] = {"type": "tool", "name": draw(st.sampled_from(names))}
        elif choice != "default":
            body["tool_choice"] = {"type": choice, **({"disable_parallel_tool_use": draw(st.booleans())} if choice != "none" else {})}
    forced = body.get("tool_choice", {}).get("type") in ("any", "tool")
    if not forced and draw(st.booleans()):
        budget = draw(st.integers(1024, 1500))
        body["thinking"] = {"type": "enabled", "budget_tokens": budget}
        body["max_tokens"] = draw(st.integers(budget + 1, budget + 200))
    else:
        body["max_tokens"] = draw(st.integers(1, 120))
    if draw(st.booleans()):
        body["system"] = draw(words)
    if draw(st.booleans()):
        # a stop sequence taken from the text the reply echoes, so that it can actually occur
        start = draw(st.integers(0, len(last) - 1))
        candidate = last[start : start + draw(st.integers(1, 4))]
        body["stop_sequences"] = [candidate] if candidate.strip() else ["zzz"]
    return body


@SETTINGS
@given(body=requests())
def test_stream_equals_response_and_usage_is_consistent(shared_client: TestClient, body: dict[str, Any]) -> None:
    response = shared_client.post("/v1/messages", json=body)
    assert response.status_code == 200, response.text
    message = response.json()
    streamed = shared_client.post("/v1/messages", json={**body, "stream": True})
    assert accumulate(assert_valid_stream(streamed.content)) == message

    counted = shared_client.post("/v1/messages/count_tokens", json={k: v for k, v in body.items() if k in COUNT_KEYS})
    assert counted.json() == {"input_tokens": message["usage"]["input_tokens"]}

    usage, content = message["usage"], message["content"]
    assert 0 <= usage["output_tokens"] <= body["max_tokens"]
    kinds = [block["type"] for block in content]
    assert (message["stop_reason"] == "tool_use") == ("tool_use" in kinds)
    if body.get("thinking"):
        assert kinds[0] == "thinking"
    if message["stop_reason"] == "stop_sequence":
        assert message["stop_sequence"] in body["stop_sequences"]
    for block in content:
        if block["type"] == "text":
            assert block["text"] and not any(s in block["text"] for s in body.get("stop_sequences", []))
        if block["type"] == "tool_use":
            schema = next(t["input_schema"] for t in body["tools"] if t["name"] == block["name"])
            jsonschema.validate(block["input"], schema, cls=jsonschema.Draft202012Validator)
    if body.get("tool_choice", {}).get("type") == "none":
        assert "tool_use" not in kinds


# -- the tokenizer -----------------------------------------------------------------------------

token_text = st.text(alphabet=st.sampled_from("ab xyzé\t\n,.!" + "w" * 3), max_size=200)


@SETTINGS
@given(text=token_text, budget=st.integers(0, 40))
def test_tokenizer_round_trips_and_its_prefix_rule_holds(text: str, budget: int) -> None:
    tokens = tokenize(text)
    assert "".join(tokens) == text and count_text(text) == len(tokens)
    assert all(0 < len(t) <= MAX_TOKEN_CHARS for t in tokens)
    # the model tokenizes only a prefix of a long echo: its first `budget` tokens must not change
    assert tokenize(text[: MAX_TOKEN_CHARS * (budget + 2)])[:budget] == tokens[:budget]
