"""What a generated invalid request should get: the one rule for negative cases.

Schemathesis describes each mutation it makes ("body: violates `required` at /properties/model",
with the location and parameter it touched). The rule turns that description into an
expectation: `invalid` where the API rejects such a request, `tolerated` where servers may ignore
it (never a 5xx either way). It is a pure function of the recorded description, so a recording
replayed later is judged by the current rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

Expectation = Literal["valid", "invalid", "tolerated"]

# Where an invalid value makes the API answer 4xx. Query parameters are not there: servers may
# ignore unknown or odd ones (a classic source of false alarms in negative testing), nor are extra
# headers or a bad `Authorization` sent next to a valid `x-api-key` (either scheme suffices).
REJECTED_LOCATIONS = frozenset({"body", "path"})
REJECTED_HEADERS = frozenset({"anthropic-version", "anthropic-beta", "x-api-key"})
# Multipart bodies (file and skill uploads) are judged invalid only without a required part: the
# API's treatment of unknown parts, or of a part's odd value, is not documented.
# Operations that validate their items later: a batch with invalid `params` is created and the
# item ends `errored` in the results (the batch lifecycle scenario checks that).
ITEM_LEVEL_VALIDATION = frozenset({"createMessageBatch"})
_VIOLATION = re.compile(r"^(?:(?P<location>\w+): )?violates `(?P<keyword>\w+)`(?: at /properties/(?P<at>[^/\s]+))?"
                        r"(?: \(was (?P<was>[^)]+)\))?")


def _multipart(mutation: Mapping[str, str]) -> bool:
    return mutation.get("media_type", "").startswith("multipart/")


def mutation_expectation(mutation: Mapping[str, str], operation_id: str | None) -> Expectation:
    """`invalid` when the mutation is one the API rejects, else `tolerated`."""
    default_location = mutation.get("location", "")
    for line in mutation.get("description", "").splitlines():
        match = _VIOLATION.match(line.strip().removeprefix("- "))
        if match is None:
            continue
        location = match["location"] or default_location
        name = (match["at"] or match["was"] or mutation.get("parameter", "")).lower()
        if location == "body" and operation_id in ITEM_LEVEL_VALIDATION:
            continue
        if location == "body" and _multipart(mutation) and match["keyword"] != "required":
            continue  # unknown parts, odd part values: how the API treats them is not documented
        if location in REJECTED_LOCATIONS or (location == "header" and name in REJECTED_HEADERS):
            return "invalid"
    return "tolerated"
