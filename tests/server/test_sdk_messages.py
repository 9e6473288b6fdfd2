"""The official anthropic SDK drives every core operation against the server and parses every answer.

Written against whatever `anthropic` is importable: SDK 0.x in the project's environment, and
SDK 2.x (httpx2, API version 2026-10-21) when test_sdk_messages_v2.py re-runs this file with
`.sdk2/` first on the path and `CONFORMANCE_SDK_BASE_URL` pointing at a live server.
"""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

anthropic = pytest.importorskip("anthropic")

SDK_MAJOR = int(anthropic.__version__.split(".")[0])
MODEL = "claude-sonnet-4-6"  # not on SDK 2.x's deprecation list, so no warnings
WEATHER = {
    "name": "get_weather",
    "description": "Current weather for a city",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
        "required": ["city"],
    },
}
THINKING = {"type": "enabled", "budget_tokens": 1024}


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def plain(message: Any) -> dict[str, Any]:
    """The message as JSON, minus the stream helper's client-side `parsed_output` field."""
    data = message.to_dict()
    for block in data["content"]:
        block.pop("parsed_output", None)
    return data


def test_create_plain(sdk: Any) -> None:
    message = sdk.messages.create(model=MODEL, max_tokens=100, messages=user("Hello, SDK"))
    assert message.type == "message" and message.role == "assistant" and message.id.startswith("msg_")
    assert message.content[0].type == "text" and message.content[0].text.startswith("Hello, SDK")
    assert message.stop_reason == "end_turn" and message.usage.output_tokens > 0


def test_stream_helpers_match_create(sdk: Any) -> None:
    kwargs = {"model": MODEL, "max_tokens": 100, "messages": user("Stream this reply")}
    with sdk.messages.stream(**kwargs) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    created = sdk.messages.create(**kwargs)
    assert plain(final) == plain(created)
    assert text == created.content[0].text


def test_raw_stream_events(sdk: Any) -> None:
    events = list(sdk.messages.create(model=MODEL, max_tokens=50, messages=user("raw events"), stream=True))
    types = [e.type for e in events]
    assert types[0] == "message_start" and types[-1] == "message_stop" and "message_delta" in types


def test_tools_forced_and_round_trip(sdk: Any) -> None:
    message = sdk.messages.create(model=MODEL, max_tokens=200, tools=[WEATHER], tool_choice={"type": "any"}, messages=user("Weather in Paris?"))
    assert message.stop_reason == "tool_use"
    (tool_use,) = [b for b in message.content if b.type == "tool_use"]
    jsonschema.validate(tool_use.input, WEATHER["input_schema"])
    follow_up = sdk.messages.create(
        model=MODEL, max_tokens=200, tools=[WEATHER],
        messages=[*user("Weather in Paris?"), {"role": "assistant", "content": [b.to_dict() for b in message.content]},
                  {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_use.id, "content": "18 C and clear"}]}],
    )
    assert follow_up.stop_reason == "end_turn" and follow_up.content[0].text.startswith("18 C and clear")


def test_streamed_tool_input(sdk: Any) -> None:
    kwargs = {"model": MODEL, "max_tokens": 200, "tools": [WEATHER], "tool_choice": {"type": "tool", "name": "get_weather"},
              "messages": user("Weather?")}
    with sdk.messages.stream(**kwargs) as stream:
        final = stream.get_final_message()
    assert plain(final) == plain(sdk.messages.create(**kwargs))
    jsonschema.validate(final.content[0].input, WEATHER["input_schema"])


def test_thinking(sdk: Any) -> None:
    kwargs = {"model": MODEL, "max_tokens": 2000, "thinking": THINKING, "messages": user("Think first")}
    with sdk.messages.stream(**kwargs) as stream:
        final = stream.get_final_message()
    assert final.content[0].type == "thinking" and final.content[0].signature
    assert plain(final) == plain(sdk.messages.create(**kwargs))


def test_stop_sequences_and_max_tokens(sdk: Any) -> None:
    stopped = sdk.messages.create(model=MODEL, max_tokens=100, stop_sequences=["CUT"], messages=user("before CUT after"))
    assert stopped.stop_reason == "stop_sequence" and stopped.stop_sequence == "CUT" and stopped.content[0].text == "before "
    short = sdk.messages.create(model=MODEL, max_tokens=2, messages=user("a long enough prompt"))
    assert short.stop_reason == "max_tokens" and short.usage.output_tokens == 2


def test_count_tokens_matches_usage(sdk: Any) -> None:
    messages = user("Count me")
    counted = sdk.messages.count_tokens(model=MODEL, messages=messages, tools=[WEATHER], system="Be brief")
    created = sdk.messages.create(model=MODEL, max_tokens=20, messages=messages, tools=[WEATHER], system="Be brief")
    assert counted.input_tokens == created.usage.input_tokens


def test_models_paging_through_all(sdk: Any) -> None:
    everything = [m.id for m in sdk.models.list(limit=2)]
    assert everything == [m.id for m in sdk.models.list(limit=100).data]
    assert len(everything) >= 5 and len(set(everything)) == len(everything)
    assert sdk.models.retrieve("claude-sonnet-4-5").id == "claude-sonnet-4-5-20250929"


def test_beta_messages_path(sdk: Any) -> None:
    message = sdk.beta.messages.create(model=MODEL, max_tokens=20, messages=user("beta"), betas=["files-api-2025-04-14"])
    assert message.type == "message"


def test_errors_map_to_sdk_exceptions(sdk: Any) -> None:
    with pytest.raises(anthropic.NotFoundError):
        sdk.messages.create(model="claude-does-not-exist", max_tokens=10, messages=user("x"))
    with pytest.raises(anthropic.BadRequestError) as bad:
        sdk.messages.create(model=MODEL, max_tokens=0, messages=user("x"))
    assert "max_tokens" in str(bad.value)
    with pytest.raises(anthropic.APIStatusError) as overloaded:
        sdk.messages.create(model=MODEL, max_tokens=10, messages=user("x"), extra_headers={"x-conformance-fault": "overloaded"})
    assert overloaded.value.status_code == 529
    with pytest.raises(anthropic.RateLimitError):
        sdk.messages.create(model=MODEL, max_tokens=10, messages=user("x"), extra_headers={"x-conformance-fault": "rate_limit"})


def test_sdk_retries_through_a_transient_fault(sdk: Any) -> None:
    retrying = sdk.with_options(max_retries=2)
    message = retrying.messages.create(model=MODEL, max_tokens=10, messages=user("retry"),
                                       extra_headers={"x-conformance-fault": "overloaded=0.01,until_retry=1"})
    assert message.type == "message"


def test_mid_stream_error_raises(sdk: Any) -> None:
    with pytest.raises(anthropic.APIStatusError) as failed:
        with sdk.messages.stream(model=MODEL, max_tokens=100, messages=user("fail midway"),
                                 extra_headers={"x-conformance-fault": "stream_error_after=4"}) as stream:
            for _ in stream:
                pass
    assert "overloaded_error" in str(failed.value)


@pytest.mark.skipif(not hasattr(anthropic.Anthropic, "completions") or SDK_MAJOR >= 1, reason="/v1/complete left the SDK in 1.0")
def test_legacy_completions(sdk: Any) -> None:
    prompt = "\n\nHuman: Say something\n\nAssistant:"
    completion = sdk.completions.create(model="claude-2.1", max_tokens_to_sample=50, prompt=prompt)
    assert completion.completion.startswith(" Say something") and completion.stop_reason == "stop_sequence"
    streamed = list(sdk.completions.create(model="claude-2.1", max_tokens_to_sample=50, prompt=prompt, stream=True))
    assert "".join(c.completion for c in streamed) == completion.completion
    assert streamed[-1].stop_reason == "stop_sequence"


@pytest.mark.skipif(SDK_MAJOR < 2, reason="role 'system' messages come with API version 2026-10-21 (SDK 2.x)")
def test_system_role_messages(sdk: Any) -> None:
    message = sdk.messages.create(model=MODEL, max_tokens=50, messages=[{"role": "system", "content": "Be brief."}, *user("hi")])
    assert message.content[0].text.startswith("hi")
