"""conformance._reproduce: curl reproducers never leak a secret."""

from __future__ import annotations

import json
import shlex

import pytest

from conformance._exchange import Request
from conformance._reproduce import curl_command, scrub_headers, scrub_text

# Built at run time so no key-shaped literal sits in the repository (a secret scanner would rightly flag it).
CANARY = "sk-ant-" + "api03-CANARY_canary-0123456789"


def test_curl_scrubs_the_canary_everywhere() -> None:
    request = Request(
        "post",
        f"https://proxy.example/v1/messages?key={CANARY}&beta=true",
        {
            "X-Api-Key": CANARY,
            "Authorization": f"Bearer {CANARY}",
            "anthropic-organization-id": "org-123",
            "Cookie": "session=abc",
            "x-custom-forward": f"token={CANARY}",
            "anthropic-version": "2023-06-01",
            "content-length": "99",
        },
        json.dumps({"model": "m", "messages": [{"role": "user", "content": f"my key is {CANARY}"}]}).encode(),
    )
    command = curl_command(request)
    assert "sk-ant-" not in command and "CANARY" not in command
    assert "org-123" not in command and "session=abc" not in command
    words = shlex.split(command)  # the command is shell-safe
    assert words[:3] == ["curl", "-X", "POST"]
    assert "x-api-key: ***" in words and "anthropic-version: 2023-06-01" in words
    assert not any(w.startswith("content-length") for w in words)
    body = json.loads(words[words.index("--data-raw") + 1])
    assert body["messages"][0]["content"] == "my key is ***"


def test_scrub_helpers() -> None:
    assert scrub_text(f"a {CANARY} b {CANARY}") == "a *** b ***"
    assert scrub_headers({"X-API-Key": "k", "Set-Cookie": "c", "Via": CANARY, "Accept": "json"}) == {
        "X-API-Key": "***",
        "Set-Cookie": "***",
        "Via": "***",
        "Accept": "json",
    }
    assert scrub_headers([("authorization", "Bearer t")]) == {"authorization": "Bearer ***"}


@pytest.mark.parametrize(("value", "shown"), [
    ("", ""),  # what a fuzzer sends to test authentication stays readable...
    ("\x00\u00e9", "\x00\u00e9"),
    ("not a key!", "not a key!"),
    ("k", "***"),  # ...anything a credential could be does not
    ("sk-ant-api03-abc", "***"),
    ("Bearer eyJhbGciOi.eyJzdWIi.sig", "Bearer ***"),
    ("\u00e9 abcdefghijkl", "\u00e9 ***"),
])
def test_a_credential_header_is_masked_where_it_could_be_a_credential(value: str, shown: str) -> None:
    assert scrub_headers({"x-api-key": value}) == {"x-api-key": shown}


def test_no_body_no_data_flag() -> None:
    assert (
        curl_command(Request("GET", "https://api.anthropic.com/v1/models"))
        == "curl -X GET https://api.anthropic.com/v1/models"
    )
