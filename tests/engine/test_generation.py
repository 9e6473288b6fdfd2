"""How a negative case is judged: from the mutation schemathesis describes, whether the API
must reject it (`invalid`) or may ignore it (`tolerated`). Pinned here because it reads
schemathesis's own wording: a change there must fail a test, not silently change verdicts."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
import schemathesis
from schemathesis import GenerationMode

from conformance.contract import load_contract
from conformance.engine._generation import _mutation
from conformance.engine._negative import mutation_expectation


def _expectation(case: Any, operation_id: str) -> str:
    return mutation_expectation(_mutation(case), operation_id)


def _case(description: str, *, parameter: str | None = None, location: str | None = None,
          media_type: str | None = None) -> Any:
    data = SimpleNamespace(description=description, parameter=parameter,
                           parameter_location=SimpleNamespace(value=location) if location else None)
    return SimpleNamespace(meta=SimpleNamespace(phase=SimpleNamespace(data=data)), media_type=media_type)


@pytest.mark.parametrize(
    ("description", "parameter", "location", "operation_id", "expected"),
    [
        ("violates `required` (was anthropic-version)", "anthropic-version", "header", "listModels", "invalid"),
        ("violates `enum` at /properties/anthropic-version", None, "header", "listModels", "invalid"),
        ("- header: violates `enum` at /properties/anthropic-beta/items/anyOf/0", None, None, "listModels", "invalid"),
        ("violates `minimum` at /properties/max_tokens", None, "body", "createMessage", "invalid"),
        ("violates `minLength` at /properties/before_id", "before_id", "query", "listModels", "tolerated"),
        ("violates `additionalProperties`", None, "query", "listModels", "tolerated"),
        ("- query: violates `minLength` at /properties/page\n- header: violates `format` at /properties/Authorization",
         None, None, "listFiles", "tolerated"),
        ("- query: violates `additionalProperties`\n- header: violates `enum` at /properties/anthropic-version",
         None, None, "listFiles", "invalid"),
        ("violates `type` at /properties/requests", None, "body", "createMessageBatch", "tolerated"),
        ("violates `pattern` at /properties/message_batch_id", "message_batch_id", "path", "getMessageBatch", "invalid"),
    ],
)
def test_mutations_are_classified(description: str, parameter: str | None, location: str | None,
                                  operation_id: str, expected: str) -> None:
    assert _expectation(_case(description, parameter=parameter, location=location), operation_id) == expected


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("violates `additionalProperties`", "tolerated"),  # an unknown part: undocumented
        ("violates `minimum` at /properties/expires_in_seconds", "tolerated"),  # an odd optional part
        ("violates `required` at /properties/file", "invalid"),  # no file part: rejected
    ],
)
def test_multipart_bodies_are_invalid_only_without_a_required_part(description: str, expected: str) -> None:
    case = _case(description, location="body", media_type="multipart/form-data")
    assert _expectation(case, "uploadFile") == expected
    assert _expectation(_case(description, location="body"), "createMessage") == "invalid"  # JSON bodies are closed


def test_schemathesis_still_describes_mutations_the_way_we_read_them() -> None:
    """Real negative cases from schemathesis carry a description the classifier understands."""
    schema = schemathesis.openapi.from_dict(load_contract().document)
    schema.config.generation.update(modes=[GenerationMode.NEGATIVE], max_examples=20, database="none")
    operation = next(schema.include(operation_id=["listModels"]).get_all_operations()).ok()
    from hypothesis import HealthCheck, given, settings

    seen: list[str] = []

    @settings(max_examples=20, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    def collect(case: schemathesis.Case) -> None:
        seen.append(_expectation(case, "listModels"))
        assert "violates `" in (case.meta.phase.data.description or "")

    collect()
    assert {"invalid", "tolerated"} <= set(seen)
