"""`conformance drift --sdk`: an SDK's types against a contract, on a fixture SDK and the real ones."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from conformance._cli import main
from conformance.contract import Contract, ContractError, load_contract
from conformance.drift import read_sdk_types, render, sdk_drift
from tests.drift._build import api, obj, ref

FIXTURE = Path(__file__).parent / "sdk_fixture"
_STRING = {"type": "string"}
_INT = {"type": "integer"}


def fixture_contract() -> dict[str, Any]:
    """What the fixture SDK is compared with: it lacks a few of the SDK's names, requires one
    field the SDK does not have, and declares the user-profile header."""
    schemas = {
        "Message": obj(("id", "content"), id=_STRING, content={"type": "array", "items": ref("ContentBlock")},
                       stop_reason={"type": ["string", "null"], "enum": ["end_turn", "max_tokens", None]},
                       usage=ref("Usage"), **{"from": {"type": ["string", "null"]}}),
        "ContentBlock": {"oneOf": [ref("TextBlock")]},
        "TextBlock": obj(("type", "text"), type={"const": "text"}, text=_STRING),
        "Usage": obj(("input_tokens", "output_tokens", "cache_read"), input_tokens=_INT, output_tokens=_INT,
                     cache_read=_INT),
        "Turn": obj(("role", "content"), role={"enum": ["user", "assistant"]}, content=_STRING),
        "Note": obj(("role", "note"), role={"const": "note"}, note=_STRING),
        "CreateMessageParams": obj(("model", "max_tokens"), model=_STRING, max_tokens=_INT, messages={
            "type": "array", "items": {"oneOf": [ref("Turn"), ref("Note")]}}, stop_sequences={
            "type": "array", "items": _STRING}, service_tier={"enum": ["auto", "standard_only"]},
            **{"from": _STRING}),
    }
    header = {"name": "anthropic-user-profile-id", "in": "header", "schema": _STRING}
    return api(request=ref("CreateMessageParams"), response=ref("Message"), schemas=schemas, parameters=[header])


@pytest.fixture
def report() -> Any:
    return sdk_drift(Contract(fixture_contract()), FIXTURE)


def places(items: Any, surface: str = "GA") -> set[str]:
    return {i.where for i in items if i.surface == surface}


def test_fixture_sdk_is_read_without_importing_it() -> None:
    types = read_sdk_types(FIXTURE)  # its __init__ raises ImportError: only ast reads it
    assert types.version == "9.9.9"
    message = types.schemas["message.Message"]
    assert set(message["properties"]) == {"id", "content", "stop_reason", "usage", "from"}  # `from_` by its alias
    assert message["required"] == ["id", "content", "usage"]
    params = types.schemas["message_create_params.MessageCreateParamsBase"]
    assert params["allOf"][0] == {"$ref": "#/components/schemas/message_create_params._Keywords"}
    assert types.schemas["message_create_params._Keywords"]["required"] == ["from"]


def test_what_the_sdk_knows_is_found_at_its_place(report: Any) -> None:
    assert places(report.missing) == {
        "Message.content[gadget]",          # a block type missing from the content block union
        "Message.content[text].signature",  # a field of a block the contract knows
        "Message.stop_reason=paused",       # a stop reason
        "Message.usage.speed",              # a usage field
        "CreateMessageParams.thread",       # a request parameter
        # one SDK object for every role, against a contract union by role: values looked for in all
        "CreateMessageParams.messages[].role=system",
    }
    assert places(report.missing, "beta") == {"Message.content[gadget]", "Message.content[text].signature",
                                              "Message.beta_only"}
    families = {i.where: i.family for i in report.missing if i.surface == "GA"}
    assert families["Message.content[gadget]"] == "content blocks"
    assert families["Message.stop_reason=paused"] == "stop reasons"
    assert families["Message.usage.speed"] == "usage"
    assert families["CreateMessageParams.thread"] == "request parameters"
    assert families["CreateMessageParams.messages[].role=system"] == "request blocks"


def test_what_the_contract_requires_and_the_sdk_dropped_is_an_error(report: Any) -> None:
    assert [(i.where, i.severity) for i in report.gone] == [("Message.usage.cache_read", "error")]
    assert {i.where for i in report.failing("error")} == {"Message.usage.cache_read"}
    assert len(report.failing("warning")) == len(report.items)


def test_a_parameter_sent_as_a_header_is_named_by_the_header(report: Any) -> None:
    assert "CreateMessageParams.user_profile_id" not in places(report.items)
    without = fixture_contract()
    without["paths"]["/v1/x"]["post"]["parameters"] = []
    assert "CreateMessageParams.user_profile_id" in places(sdk_drift(Contract(without), FIXTURE).missing)


def test_coverage_counts_by_family(report: Any) -> None:
    blocks = report.coverage[("GA", "content blocks")]
    # Message.content itself, variants text and gadget, fields text and signature of the text block
    assert (blocks.named, blocks.known) == (3, 5)
    stops = report.coverage[("GA", "stop reasons")]
    assert (stops.named, stops.known) == (3, 4)  # the field, and the values end_turn, max_tokens, paused
    total = report.total("GA")
    assert total.known == sum(c.known for (s, _), c in report.coverage.items() if s == "GA")
    assert total.known - total.named == len(report.missing) - len(places(report.missing, "beta"))


def test_ignore_leaves_out_places_and_families(report: Any) -> None:
    assert places(report.without(["Message.content", "CreateMessageParams.messages"]).missing) == {
        "Message.stop_reason=paused", "Message.usage.speed", "CreateMessageParams.thread"}
    assert not [i for i in report.without(["usage", "Message.content"]).items if i.family == "usage"]


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_cli_formats_and_fail_on(tmp_path: Path, fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "contract.yaml"
    spec.write_text(yaml.safe_dump(fixture_contract()))
    assert main(["drift", "--sdk", str(FIXTURE), "--spec", str(spec), "--format", fmt]) == 0
    out = capsys.readouterr().out
    if fmt == "json":
        data = json.loads(out)
        assert data["sdk_version"] == "9.9.9"
        assert {i["where"] for i in data["items"] if i["severity"] == "error"} == {"Message.usage.cache_read"}
        assert {(c["surface"], c["family"]) for c in data["coverage"]} >= {("GA", "content blocks"), ("beta", "usage")}
    else:
        assert "Message.content[gadget]" in out and "content blocks" in out and "Message.usage.cache_read" in out
    assert main(["drift", "--sdk", str(FIXTURE), "--spec", str(spec), "--fail-on", "error"]) == 1
    assert main(["drift", "--sdk", str(FIXTURE), "--spec", str(spec), "--fail-on", "error",
                 "--ignore", "Message.usage"]) == 0
    assert main(["drift", "--sdk", str(FIXTURE), "--spec", str(spec), "--fail-on", "warning",
                 "--ignore", "Message", "--ignore", "CreateMessageParams"]) == 0


@pytest.mark.parametrize(
    "argv",
    [
        ["drift", "--sdk", "/nonexistent/sdk"],
        ["drift", "--sdk", str(FIXTURE / "anthropic" / "types" / "beta")],
        ["drift", "--sdk", str(FIXTURE), "a.yaml", "b.yaml"],
        ["drift", "--sdk", str(FIXTURE), "--spec", "/nonexistent.yaml"],
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1


def test_unparsable_type_files_cost_only_themselves(tmp_path: Path) -> None:
    sdk = tmp_path / "anthropic"
    (sdk / "types").mkdir(parents=True)
    (sdk / "types" / "broken.py").write_text("class (:\n")
    (sdk / "types" / "binary.py").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ContractError, match="no types could be read"):
        read_sdk_types(tmp_path)
    (sdk / "types" / "usage.py").write_text("class Usage(BaseModel):\n    input_tokens: int\n")
    assert set(read_sdk_types(tmp_path).schemas) == {"usage.Usage"}


def test_render_names_the_sdk_and_the_totals(report: Any) -> None:
    text = render(report)
    assert "anthropic 9.9.9" in text and "all" in text
    assert "5 missing from the contract" not in text  # beta items count too
    assert f"{len(report.missing)} missing from the contract, 1 required by the contract" in text


# -- the real SDKs -------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
SDK2 = ROOT / ".sdk2"
CONTRACT_DOC = ROOT / "docs" / "contract.md"


def left_out_on_purpose() -> tuple[str, ...]:
    """The location prefixes docs/contract.md lists as deliberately left out (its `left out` table)."""
    text = CONTRACT_DOC.read_text(encoding="utf-8")
    table = text.split("| left out | why |", 1)[1].split("\n\n", 1)[0]
    return tuple(re.findall(r"^\| `([^`]+)` \|", table, flags=re.M))


@pytest.mark.parametrize("sdk", [None, SDK2], ids=["installed", "sdk2"])
def test_the_real_sdk_finds_only_what_the_docs_leave_out(sdk: Path | None) -> None:
    if sdk is not None and not (sdk / "anthropic").is_dir():
        pytest.skip(f"{sdk} is absent: pip install --target .sdk2 'anthropic==2.12.0'")
    report = sdk_drift(load_contract(), sdk)
    documented = left_out_on_purpose()
    assert [(i.surface, i.where) for i in report.items if not i.where.startswith(documented)] == []
    # The walk reached every family on both surfaces: a renamed root would leave one empty.
    assert [key for key, coverage in report.coverage.items() if coverage.known == 0] == []
    if sdk is not None:  # the table is about SDK 2.12.0: an entry nothing matches any more is stale
        assert [p for p in documented if not any(i.where.startswith(p) for i in report.items)] == []
