"""The tool-input generator honours string patterns (a tool_use input must fit its input_schema)."""

from __future__ import annotations

import re

import pytest

from conformance.server._jsongen import generate
from conformance.server._rng import Rng


@pytest.mark.parametrize(
    "pattern",
    [r"^[A-Z]{2}[0-9]{4}$", r"^\d{3}-\d{2}$", r"^(foo|bar)+baz$", r"^[a-z0-9_-]{1,64}$", r"^[^@\s]+@[a-z]+\.com$",
     r"^#[0-9a-fA-F]{6}$", r"^v\d+\.\d+\.\d+(-rc\d)?$"],
)
@pytest.mark.parametrize("seed", range(5))
def test_generated_strings_match_their_pattern(pattern: str, seed: int) -> None:
    value = generate({"type": "string", "pattern": pattern}, Rng(seed))
    assert re.search(pattern, value), value


def test_patterns_are_deterministic() -> None:
    schema = {"type": "object", "required": ["order_id"], "properties": {"order_id": {"type": "string", "pattern": "^[A-Z]{2}[0-9]{4}$"}}}
    assert generate(schema, Rng(7)) == generate(schema, Rng(7))
