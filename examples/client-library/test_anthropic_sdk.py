"""A client library's test suite against the conformance mock: the official Python SDK driven
through every scripted scenario, asserting what it does (retries, raised errors, reassembled tool
input, the final message) and, through the request journal, what it sent.

Run it with the conformance package installed (its pytest plugin gives `conformance_mock`):

    pytest examples/client-library -q            # any anthropic SDK: 0.x/1.x (httpx) or 2.x (httpx2)

The same file passes with SDK 0.x and 2.x (tests/mock/test_examples.py runs both); swap
`anthropic.Anthropic` for your own client to test a library built on top of it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

anthropic = pytest.importorskip("anthropic")

MODEL = "claude-sonnet-4-6"
ECHO_TOOL = {
    "name": "echo",
    "description": "Repeat a text",
    "input_schema": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]},
}
TRICKY_TEXT = 'He said "hi" \\ café — ☕ 😀 done'  # what tool_json_split puts in the input


def client(mock: Any, scenario: str | None = None, **options: Any) -> Any:
    options.setdefault("max_retries", 2)
    return anthropic.Anthropic(api_key="test-key", base_url=mock.url, default_headers=mock.headers(scenario), **options)


def ask(text: str = "Hello from the tests", **extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "max_tokens": 200, "messages": [{"role": "user", "content": text}], **extra}


def plain(message: Any) -> dict[str, Any]:
    data = message.to_dict()
    for block in data["content"]:
        block.pop("parsed_output", None)  # the stream helper's client-side field
    return data


def streamed_equals_created(sdk: Any, resource: Any = None, **kwargs: Any) -> Any:
    """The stream helper's final message equals the non-streaming answer; returns it."""
    resource = resource or sdk.messages
    with resource.stream(**kwargs) as stream:
        final = stream.get_final_message()
    created = resource.create(**kwargs)
    assert plain(final) == plain(created)
    return final


# -- errors and retries ----------------------------------------------------------------------------


def test_mid_stream_error_is_raised_after_the_events_before_it(conformance_mock: Any) -> None:
    events: list[Any] = []
    with pytest.raises(anthropic.APIStatusError) as raised:
        for event in client(conformance_mock, "mid_stream_error").messages.create(**ask(), stream=True):
            events.append(event)
    assert [e.type for e in events][:1] == ["message_start"] and len(events) >= 3
    assert raised.value.body["error"]["type"] == "overloaded_error"  # type: ignore[index]


@pytest.mark.parametrize(("scenario", "status"), [("rate_limit", 429), ("overloaded", 529)])
def test_retryable_errors_are_retried_once_then_succeed(conformance_mock: Any, scenario: str, status: int) -> None:
    raw = client(conformance_mock, scenario).messages.with_raw_response.create(**ask())
    assert raw.parse().stop_reason == "end_turn"
    sent = conformance_mock.entries()
    assert [e.status for e in sent] == [status, 200]
    assert [e.header("x-stainless-retry-count") for e in sent] == ["0", "1"]


def test_x_should_retry_false_is_not_retried(conformance_mock: Any) -> None:
    with pytest.raises(anthropic.APIStatusError) as raised:
        client(conformance_mock, "overloaded_no_retry").messages.create(**ask())
    assert raised.value.status_code == 529 and type(raised.value).__name__ == "OverloadedError"
    assert len(conformance_mock.entries()) == 1


def test_slow_first_byte_times_out_a_short_timeout_and_waits_otherwise(conformance_mock: Any) -> None:
    with pytest.raises(anthropic.APITimeoutError):
        client(conformance_mock, "slow_first_byte", timeout=0.2, max_retries=0).messages.create(**ask())
    assert client(conformance_mock, "slow_first_byte", timeout=10).messages.create(**ask()).stop_reason == "end_turn"


def test_disconnect_mid_stream_is_a_connection_error(conformance_mock: Any) -> None:
    events: list[Any] = []
    with pytest.raises(Exception) as raised:  # noqa: B017,PT011 - the SDK lets the transport's error through
        for event in client(conformance_mock, "disconnect").messages.create(**ask(), stream=True):
            events.append(event)
    assert len(events) >= 3  # what came before the cut (the SDK does not hand out pings)
    assert isinstance(raised.value, anthropic.APIConnectionError) or "ProtocolError" in type(raised.value).__name__


def test_request_id_on_answers_streams_and_errors(conformance_mock: Any) -> None:
    sdk = client(conformance_mock, "request_id")
    assert sdk.messages.create(**ask())._request_id.startswith("req_")
    with sdk.messages.stream(**ask()) as stream:
        assert stream.response.headers["request-id"].startswith("req_")
    with pytest.raises(anthropic.BadRequestError) as raised:
        sdk.messages.create(model=MODEL, max_tokens=0, messages=[])
    assert raised.value.request_id and raised.value.request_id.startswith("req_")


# -- stream shapes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", ["ping_storm", "unknown_event", "unknown_delta", "utf8_split"])
def test_stream_shapes_give_the_same_message(conformance_mock: Any, scenario: str) -> None:
    final = streamed_equals_created(client(conformance_mock, scenario), **ask("Ünïcödé 👋"))
    assert final.content[0].text.startswith("Ünïcödé 👋")


def test_unknown_block_type_is_kept(conformance_mock: Any) -> None:
    final = streamed_equals_created(client(conformance_mock, "unknown_block"), **ask())
    assert [block.type for block in final.content][:2] == ["future_block", "text"]


def test_tool_json_cut_inside_escapes_is_reassembled(conformance_mock: Any) -> None:
    final = streamed_equals_created(client(conformance_mock, "tool_json_split"), **ask("Echo this", tools=[ECHO_TOOL]))
    (tool_use,) = [block for block in final.content if block.type == "tool_use"]
    assert tool_use.input == {"text": TRICKY_TEXT} and final.stop_reason == "tool_use"


def test_stream_without_message_stop_is_not_noticed_by_the_sdk(conformance_mock: Any) -> None:
    events = list(client(conformance_mock, "no_message_stop").messages.create(**ask(), stream=True))
    assert events[-1].type == "message_delta"  # a stricter client would raise here; the SDK returns what came


def test_long_stream(conformance_mock: Any) -> None:
    with client(conformance_mock, "long_stream").messages.stream(**ask(max_tokens=20_000)) as stream:
        pieces = sum(1 for _ in stream.text_stream)
        final = stream.get_final_message()
    assert pieces > 5_000 and final.stop_reason == "max_tokens" and final.usage.output_tokens == 20_000


# -- endings and blocks ----------------------------------------------------------------------------


def test_refusal(conformance_mock: Any) -> None:
    message = streamed_equals_created(client(conformance_mock, "refusal"), **ask(tools=[ECHO_TOOL]))
    assert message.stop_reason == "refusal" and all(block.type != "tool_use" for block in message.content)


def test_pause_turn(conformance_mock: Any) -> None:
    assert streamed_equals_created(client(conformance_mock, "pause_turn"), **ask()).stop_reason == "pause_turn"


def test_redacted_thinking_is_kept_and_sent_back(conformance_mock: Any) -> None:
    sdk = client(conformance_mock, "redacted_thinking")
    kwargs = ask(max_tokens=2048, thinking={"type": "enabled", "budget_tokens": 1024})
    first = streamed_equals_created(sdk, **kwargs)
    assert first.content[0].type == "redacted_thinking" and first.content[0].data
    follow_up = [*kwargs["messages"], {"role": "assistant", "content": [b.to_dict() for b in first.content]},
                 {"role": "user", "content": "And then?"}]
    client(conformance_mock).messages.create(**{**kwargs, "messages": follow_up})
    assert conformance_mock.invalid() == []  # the block went back as the API wants it


@pytest.mark.parametrize(("scenario", "block_type"), [("compaction", "compaction"), ("fallback", "fallback")])
def test_beta_blocks_are_kept(conformance_mock: Any, scenario: str, block_type: str) -> None:
    sdk = client(conformance_mock, scenario)
    final = streamed_equals_created(sdk, sdk.beta.messages, **ask())
    assert final.content[0].type == block_type


# -- selection, the journal, async, respx ----------------------------------------------------------


def test_model_alias_selects_a_scenario_without_headers(conformance_mock: Any) -> None:
    sdk = anthropic.Anthropic(api_key="test-key", base_url=conformance_mock.url)
    assert sdk.messages.create(**{**ask(), "model": "scenario:pause_turn"}).stop_reason == "pause_turn"


def test_journal_shows_a_client_side_regression(conformance_mock: Any) -> None:
    sdk = client(conformance_mock)
    first = sdk.messages.create(**ask("Echo hi", tools=[ECHO_TOOL], tool_choice={"type": "any"}))
    # A buggy client forgets the tool_result: the mock answers anyway, the journal tells.
    sdk.messages.create(**ask(tools=[ECHO_TOOL], messages=[
        {"role": "user", "content": "Echo hi"}, {"role": "assistant", "content": [b.to_dict() for b in first.content]},
        {"role": "user", "content": "next"}]))
    (problem,) = conformance_mock.invalid()
    assert "tool_result" in problem


def test_async_client(conformance_mock: Any) -> None:
    async def main() -> Any:
        async with anthropic.AsyncAnthropic(api_key="test-key", base_url=conformance_mock.url,
                                            default_headers=conformance_mock.headers("rate_limit")) as sdk:
            async with sdk.messages.stream(**ask()) as stream:
                return await stream.get_final_message()

    assert asyncio.run(main()).stop_reason == "end_turn"
    assert [e.status for e in conformance_mock.entries()] == [429, 200]


def test_beside_respx(conformance_mock: Any) -> None:
    respx = pytest.importorskip("respx")
    sdk = client(conformance_mock)
    if "httpx2" in type(sdk._client).__module__:  # SDK 2.x speaks httpx2, which respx does not patch
        pytest.skip("respx patches httpx, not httpx2")
    with respx.mock(assert_all_called=False) as router:
        router.route(host="127.0.0.1").pass_through()  # the mock server
        mocked = router.get("https://example.test/weather").respond(json={"c": 18})
        assert sdk.messages.create(**ask()).stop_reason == "end_turn"
        import httpx

        assert httpx.get("https://example.test/weather").json() == {"c": 18} and mocked.called
