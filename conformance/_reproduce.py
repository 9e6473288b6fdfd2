"""Reproducers for findings, and the secret scrubbing shared by everything that writes traffic out
(findings, cassettes, reports).

Scrubbing is by header name (credentials and identity headers) and by value pattern (an Anthropic key
pasted anywhere: a URL, a body, an unexpected header), so a key in an odd place still never leaks.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping

from conformance._exchange import Request

__all__ = ["REDACTED", "SECRET_HEADERS", "curl_command", "scrub_headers", "scrub_text"]

REDACTED = "***"

SECRET_HEADERS = frozenset(
    {
        "x-api-key",
        "authorization",
        "proxy-authorization",
        "anthropic-organization-id",
        "anthropic-workspace-id",
        "cookie",
        "set-cookie",
    }
)

_KEY = re.compile(r"sk-ant-[A-Za-z0-9_-]+")

# Headers a reproducer leaves out: the transport sets them, or they only describe this one send.
_TRANSPORT_HEADERS = frozenset({"content-length", "host", "accept-encoding", "connection", "transfer-encoding"})


MIN_SECRET_CHARS = 8
"""A literal secret (the run's own key) is masked only from this length: masking a short
placeholder such as `test` everywhere would mangle ordinary text, and real keys are longer."""


def literal_secrets(*candidates: str | None) -> tuple[str, ...]:
    """The run's own keys worth masking wherever they show up (a compatible server's key need not
    look like `sk-ant-`)."""
    return tuple(dict.fromkeys(c for c in candidates if c and len(c) >= MIN_SECRET_CHARS))


def scrub_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Replace every `sk-ant-…` key in free text (a URL, a body, a log line), and each of
    `secrets` (see literal_secrets), with ***."""
    text = _KEY.sub(REDACTED, text)
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


CREDENTIAL_HEADERS = frozenset({"x-api-key", "authorization", "proxy-authorization"})
"""The SECRET_HEADERS a fuzzer fills in to test authentication: their values are masked where they
could be a credential (scrub_credential); the others (identity, cookies) are masked whole."""
_TOKEN_CHARS = "A-Za-z0-9._~+/=:-"
_WHOLE_TOKEN = re.compile(rf"(?:[A-Za-z]+ )?[{_TOKEN_CHARS}]+")
_TOKEN = re.compile(rf"[{_TOKEN_CHARS}]{{{MIN_SECRET_CHARS},}}")


def scrub_credential(value: str) -> str:
    """A credential header's value as a report shows it. Anything a credential could be is masked:
    a value of token characters, of any length, after an optional scheme ("Bearer ***"), and any
    run of MIN_SECRET_CHARS token characters elsewhere. What no credential is stays readable (an
    empty value, spaces, control or non-ASCII characters: what a fuzzer sends to test
    authentication), so a finding shows what triggered it."""
    whole = _WHOLE_TOKEN.fullmatch(value)
    if whole is not None:
        scheme, _, _ = value.rpartition(" ")
        return f"{scheme} {REDACTED}" if scheme else REDACTED
    return _TOKEN.sub(REDACTED, scrub_text(value))


def scrub_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """A copy with credential and identity headers masked (credentials where they could be one:
    scrub_credential) and stray keys scrubbed from the rest."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    return {name: _scrub_header(name.lower(), str(value)) for name, value in items}


def _scrub_header(name: str, value: str) -> str:
    if name in CREDENTIAL_HEADERS:
        return scrub_credential(value)
    return REDACTED if name in SECRET_HEADERS else scrub_text(value)


def curl_command(request: Request) -> str:
    """A shell-safe curl command that sends this request again, secrets scrubbed.

    Masked credentials stay in the command as `***` so the reader sees which header to fill in.
    """
    parts = ["curl", "-X", request.method, shlex.quote(scrub_text(request.url))]
    for name, value in scrub_headers(request.headers).items():
        if name.lower() not in _TRANSPORT_HEADERS:
            parts += ["-H", shlex.quote(f"{name}: {value}")]
    if request.body:
        body = request.body.decode("utf-8", errors="replace")
        parts += ["--data-raw", shlex.quote(scrub_text(body))]
    return " ".join(parts)


REPRODUCER_CHARS = 1500


def shorten(text: str, limit: int = REPRODUCER_CHARS) -> str:
    """Keep messages readable: generated bodies can be hundreds of kilobytes."""
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text) - limit} more characters)"
