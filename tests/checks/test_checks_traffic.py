"""The checks against genuine traffic (../shared/traffic): no false alarms, and a re-split-proof decoder.

Every genuine recording is, by definition, what the real API does; a check that calls one an error
is wrong. Skips cleanly when ../shared is absent.
"""

from __future__ import annotations

import gzip
from collections import Counter
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance._exchange import Response
from conformance._sse import SSEDecoder, SSEFrame, iter_sse, parse_sse

if TYPE_CHECKING:
    from tests.checks.conftest import Checks, Genuine

pytestmark = pytest.mark.shared


def test_no_false_alarms_on_genuine_traffic(
    genuine: list[Genuine], checks: Checks, capsys: pytest.CaptureFixture[str]
) -> None:
    frames = streams = 0
    warnings: Counter[str] = Counter()
    errors: list[str] = []
    for item in genuine:
        exchange = item.exchange
        if exchange.response.is_stream:
            streams += 1
            frames += len(exchange.response.frames)
        for finding in checks(exchange):
            if finding.severity == "error":
                errors.append(f"{item.recording.name}: {finding.check_id} {finding.message} @ {finding.location}")
            else:
                warnings[finding.check_id] += 1
    with capsys.disabled():
        print(
            f"\ngenuine traffic: {len(genuine)} exchanges, {streams} streams, {frames} frames; "
            f"warnings: {dict(sorted(warnings.items())) or 'none'}"
        )
    assert errors == [], "\n".join(errors[:20])
    assert streams > 0 and frames > 0


def test_genuine_traffic_covers_the_grammar(genuine: list[Genuine]) -> None:
    """The corpus the no-false-alarm test relies on has the shapes the lenient rules are for."""
    names: Counter[str | None] = Counter()
    for item in genuine:
        if item.exchange.response.is_stream:
            names.update(frame.event for frame in item.exchange.response.frames)
    for name in ("message_start", "content_block_delta", "message_delta", "message_stop", "ping", "completion"):
        assert names[name] > 0, name
    assert names[None] == 0  # the re-framed vercel fixtures carry event names again


def _stream_bodies(genuine: list[Genuine]) -> list[bytes]:
    return [g.exchange.response.body for g in genuine if g.exchange.response.is_stream and g.exchange.response.body]


def _key(frames: list[SSEFrame]) -> list[tuple[str | None, str, str | None, int | None]]:
    return [(f.event, f.data, f.id, f.retry) for f in frames]


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_resplit_stream_decodes_the_same(genuine: list[Genuine], data: st.DataObject) -> None:
    """C8: a genuine stream cut into arbitrary chunks (inside CRLF pairs, UTF-8 sequences, JSON) decodes
    to the same frames, byte by byte through iter_sse and text chunk by chunk through SSEDecoder."""
    bodies = _stream_bodies(genuine)
    body = data.draw(st.sampled_from(bodies), label="body")
    cuts = sorted(data.draw(st.sets(st.integers(0, len(body)), max_size=40), label="cuts"))
    chunks = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    expected = parse_sse(body)
    assert _key(list(iter_sse(chunks))) == _key(expected.frames)

    text = body.decode("utf-8", errors="replace")
    tcuts = sorted(data.draw(st.sets(st.integers(0, len(text)), max_size=40), label="text cuts"))
    decoder = SSEDecoder()
    frames: list[SSEFrame] = []
    for a, b in zip([0, *tcuts], [*tcuts, len(text)], strict=True):
        frames += decoder.feed(text[a:b])
    last, trailing = decoder.close()
    assert _key(frames + last) == _key(expected.frames) and trailing == expected.trailing


def test_crlf_and_gzip_streams_decode_the_same(genuine: list[Genuine]) -> None:
    bodies = _stream_bodies(genuine)
    crlf = [b for b in bodies if b"\r\n" in b]
    assert crlf, "the corpus has CRLF streams (legacy /v1/complete)"
    for body in bodies[:20] + crlf:
        expected = _key(parse_sse(body).frames)
        assert _key(parse_sse(body.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")).frames) == expected
        wire = Response.from_wire(
            200, {"content-type": "text/event-stream", "content-encoding": "gzip"}, gzip.compress(body)
        )
        assert _key(wire.frames) == expected
