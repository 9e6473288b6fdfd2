"""What every request to a target goes through, as an httpx transport (httpx's seam for
cross-cutting concerns): the token budget, and retries of 429 and 529 after `retry-after`."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

RETRY_STATUSES = (429, 529)
MAX_RETRIES = 2
MAX_RETRY_WAIT = 20.0
"""Seconds: a longer retry-after ends the retries (the answer is judged as it is)."""
NO_RETRY = "conformance_no_retry"
"""A request extension: send once, whatever the answer."""


class BudgetExhausted(Exception):
    """The run spent its token budget: no more requests."""


@dataclass
class Budget:
    """Tokens spent on the target, from the usage the target reports; a run stops past `limit`."""

    limit: int | None = None
    spent: int = 0

    @property
    def exhausted(self) -> bool:
        return self.limit is not None and self.spent >= self.limit

    @property
    def reason(self) -> str:
        return f"token budget of {self.limit} reached ({self.spent} tokens spent)"


def retry_wait(response: httpx.Response) -> float | None:
    """Seconds to wait before retrying, or None when the answer is not one to retry."""
    if response.status_code not in RETRY_STATUSES:
        return None
    try:
        wait = float(response.headers.get("retry-after-ms", "")) / 1000
    except ValueError:
        try:
            wait = float(response.headers.get("retry-after", "1"))
        except ValueError:
            wait = 1.0
    return wait if 0 <= wait <= MAX_RETRY_WAIT else None


class GuardedTransport(httpx.BaseTransport):
    """Refuses every request once the budget is spent; retries 429 and 529 (at most MAX_RETRIES
    times) after their `retry-after`, as the official SDKs do."""

    def __init__(self, inner: httpx.BaseTransport, budget: Budget, *,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.inner, self.budget, self.sleep = inner, budget, sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        for attempt in range(MAX_RETRIES + 1):
            if self.budget.exhausted:
                raise BudgetExhausted(self.budget.reason)
            response = self.inner.handle_request(request)
            wait = retry_wait(response)
            if wait is None or attempt == MAX_RETRIES or request.extensions.get(NO_RETRY):
                return response
            response.close()
            self.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        self.inner.close()
