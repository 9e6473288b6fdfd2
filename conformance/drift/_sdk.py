"""SDK drift: what an installed official SDK knows that the contract does not name, and back.

The SDK ships days after the API changes, so its generated types are the freshest
machine-readable account of the API. Each root type of the SDK (the GA `Message`, the beta
`BetaMessage`, the stream event union, the create parameters, the error envelope, the
resources) is walked alongside the contract schema it describes: object fields by name, unions
by their `type` discriminator, literal values by value. So a content block type is looked for
in the content block union, a field of the compaction block among the compaction block's
fields, never anywhere in the document. Three lists come out:

* **missing** (warning): a field, union variant or enum value the SDK has at a place where
  the contract does not name it;
* **gone** (error): a field the contract requires that the SDK's type no longer has;
* **coverage** by family (content blocks, deltas, events, stop reasons, request blocks, tool
  types, error types, usage, Message fields, request parameters, resources), GA and beta.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from conformance.contract import Contract, ContractError
from conformance.drift._rules import Severity, failing
from conformance.drift._schema import SCHEMA_PREFIX, Schemas, View, enum_of
from conformance.drift._sdk_types import SdkTypes, read_sdk_types

Surface = Literal["GA", "beta"]
SdkKind = Literal["variant", "field", "value"]

# (contract component, GA SDK type, beta SDK type). The walk is breadth-first from all roots, so
# a type reached on several paths is compared once, at the shallowest place (the tool union under
# `tools`, not inside a compaction block's tool changes; `Message` as a root, not inside
# `message_start`), and counted in that place's family. A
# contract name `<operationId> query` stands for that operation's query parameters; `a|b` names
# the SDK type of older generations first (0.x beta skills: `SkillRetrieveResponse`).
ROOTS: tuple[tuple[str, str, str], ...] = (
    ("Message", "message.Message", "beta.beta_message.BetaMessage"),
    ("MessageStreamEvent", "raw_message_stream_event.RawMessageStreamEvent",
     "beta.beta_raw_message_stream_event.BetaRawMessageStreamEvent"),
    ("CreateMessageParams", "message_create_params.MessageCreateParamsBase",
     "beta.message_create_params.MessageCreateParamsBase"),
    ("CountTokensParams", "message_count_tokens_params.MessageCountTokensParams",
     "beta.message_count_tokens_params.MessageCountTokensParams"),
    ("CountTokensResponse", "message_tokens_count.MessageTokensCount", "beta.beta_message_tokens_count.BetaMessageTokensCount"),
    ("ErrorResponse", "shared.error_response.ErrorResponse", "beta_error_response.BetaErrorResponse"),
    ("ErrorType", "shared.error_type.ErrorType", "shared.error_type.ErrorType"),
    ("ModelInfo", "model_info.ModelInfo", "beta.beta_model_info.BetaModelInfo"),
    ("MessageBatch", "messages.message_batch.MessageBatch", "beta.messages.beta_message_batch.BetaMessageBatch"),
    ("MessageBatchIndividualResponse", "messages.message_batch_individual_response.MessageBatchIndividualResponse",
     "beta.messages.beta_message_batch_individual_response.BetaMessageBatchIndividualResponse"),
    ("DeletedMessageBatch", "messages.deleted_message_batch.DeletedMessageBatch",
     "beta.messages.beta_deleted_message_batch.BetaDeletedMessageBatch"),
    ("FileMetadata", "file_metadata.FileMetadata", "beta.beta_file_metadata.BetaFileMetadata"),
    ("DeletedFile", "deleted_file.DeletedFile", "beta.beta_deleted_file.BetaDeletedFile"),
    ("Skill", "skill.Skill", "beta.skill_retrieve_response.SkillRetrieveResponse|beta.beta_skill.BetaSkill"),
    ("SkillVersion", "skills.skill_version.SkillVersion",
     "beta.skills.version_retrieve_response.VersionRetrieveResponse|beta.skills.beta_skill_version.BetaSkillVersion"),
    ("DeletedSkill", "deleted_skill.DeletedSkill",
     "beta.skill_delete_response.SkillDeleteResponse|beta.beta_deleted_skill.BetaDeletedSkill"),
    ("DeletedSkillVersion", "skills.deleted_skill_version.DeletedSkillVersion",
     "beta.skills.beta_deleted_skill_version.BetaDeletedSkillVersion"),
    ("listModels query", "model_list_params.ModelListParams", "beta.model_list_params.ModelListParams"),
    ("listFiles query", "file_list_params.FileListParams", "beta.file_list_params.FileListParams"),
    ("listMessageBatches query", "messages.batch_list_params.BatchListParams",
     "beta.messages.batch_list_params.BatchListParams"),
    ("listSkills query", "skill_list_params.SkillListParams", "beta.skill_list_params.SkillListParams"),
    ("listSkillVersions query", "skills.version_list_params.VersionListParams",
     "beta.skills.version_list_params.VersionListParams"),
)
_QUERY = " query"

# The family of a place, by the first rule whose pattern matches its location.
FAMILY_RULES: tuple[tuple[str, str], ...] = (
    (r"\[content_block_delta\]\.delta", "deltas"),
    (r"\[content_block_start\]\.content_block|^Message\.content\b", "content blocks"),
    (r"\.usage\b|^CountTokensResponse", "usage"),
    (r"\.stop_reason\b|\.stop_details\b", "stop reasons"),
    (r"^MessageStreamEvent", "events"),
    (r"^Message\b", "Message fields"),
    (r"^(CreateMessage|CountTokens)Params\.(messages|system)\b", "request blocks"),
    (r"^(CreateMessage|CountTokens)Params\.tools\b", "tool types"),
    (r"^(CreateMessage|CountTokens)Params\b", "request parameters"),
    (r"^Error(Response|Type)", "error types"),
    (r"", "resources"),
)
FAMILIES: tuple[str, ...] = tuple(dict.fromkeys(family for _, family in FAMILY_RULES))

# Request fields an SDK method takes as arguments but sends as headers.
HEADER_FIELDS = {
    "betas": "anthropic-beta",
    "user_profile_id": "anthropic-user-profile-id",
    "workspace_id": "anthropic-workspace-id",
}


@dataclass(frozen=True)
class SdkItem:
    """One difference between the SDK's types and the contract, at one place."""

    surface: Surface
    family: str
    kind: SdkKind
    where: str
    """The place in the contract (`Message.content[compaction].tool_changes`)."""
    sdk_type: str
    """The SDK type it was read from (`beta.beta_compaction_block.BetaCompactionBlock`)."""
    severity: Severity

    @property
    def message(self) -> str:
        if self.severity == "error":
            return f"the contract requires {self.kind} `{self.where.rsplit('.', 1)[-1]}`; the SDK no longer has it"
        return f"{self.kind} not in the contract"

    def to_dict(self) -> dict[str, Any]:
        return {"surface": self.surface, "family": self.family, "kind": self.kind, "where": self.where,
                "sdk_type": self.sdk_type, "severity": self.severity, "message": self.message}


@dataclass
class Coverage:
    known: int = 0
    """Names (fields, variants, values) the SDK has in this family."""
    named: int = 0
    """Of those, how many the contract names at the same place."""

    @property
    def percent(self) -> float:
        return 100.0 * self.named / self.known if self.known else 100.0


@dataclass
class SdkReport:
    sdk: str
    sdk_version: str
    spec: str
    items: list[SdkItem] = field(default_factory=list)
    coverage: dict[tuple[Surface, str], Coverage] = field(default_factory=dict)

    @property
    def missing(self) -> list[SdkItem]:
        return [i for i in self.items if i.severity == "warning"]

    @property
    def gone(self) -> list[SdkItem]:
        return [i for i in self.items if i.severity == "error"]

    def total(self, surface: Surface) -> Coverage:
        out = Coverage()
        for (s, _), c in self.coverage.items():
            if s == surface:
                out.known += c.known
                out.named += c.named
        return out

    def failing(self, fail_on: Severity | None) -> list[SdkItem]:
        return failing(self.items, fail_on)

    def without(self, ignore: Iterable[str]) -> SdkReport:
        """Leave out items whose location or family starts with one of `ignore`."""
        prefixes = tuple(ignore)
        if not prefixes:
            return self
        kept = [i for i in self.items if not (i.where.startswith(prefixes) or i.family.startswith(prefixes))]
        return SdkReport(self.sdk, self.sdk_version, self.spec, kept, self.coverage)

    def to_dict(self) -> dict[str, Any]:
        return {
            "sdk": self.sdk,
            "sdk_version": self.sdk_version,
            "spec": self.spec,
            "coverage": [
                {"surface": s, "family": f, "known": c.known, "named": c.named, "percent": round(c.percent, 1)}
                for (s, f), c in self.coverage.items()
            ],
            "items": [i.to_dict() for i in self.items],
        }


def sdk_drift(contract: Contract, sdk: SdkTypes | str | Path | None = None) -> SdkReport:
    """Compare an SDK's types (read from `sdk`, a path, or the installed package) with a contract."""
    types = sdk if isinstance(sdk, SdkTypes) else read_sdk_types(sdk)
    if not contract.schemas:
        raise ContractError(f"{contract.source}: the contract has no component schemas to compare")
    walker = _Walker(contract, types)
    surfaces: tuple[tuple[Surface, int], ...] = (("GA", 1), ("beta", 2))
    for surface, index in surfaces:
        walker.visited.clear()
        for root in ROOTS:
            sdk_name = next((name for name in root[index].split("|") if name in types.schemas), None)
            if sdk_name is not None and root[0] in walker.contract.components:
                walker.surface = surface
                walker.walk({"$ref": SCHEMA_PREFIX + sdk_name}, {"$ref": SCHEMA_PREFIX + root[0]}, root[0])
        walker.run()
    for surface, _ in surfaces:
        for family in FAMILIES:
            walker.report.coverage.setdefault((surface, family), Coverage())
    walker.report.coverage = dict(sorted(walker.report.coverage.items(),
                                         key=lambda kv: (kv[0][0] != "GA", FAMILIES.index(kv[0][1]))))
    return walker.report


def family_of(where: str) -> str:
    for pattern, family in FAMILY_RULES:
        if re.search(pattern, where):
            return family
    return "resources"


class _Walker:
    def __init__(self, contract: Contract, types: SdkTypes) -> None:
        self.contract = Schemas(_with_query_schemas(contract))
        self.sdk = Schemas(types.document)
        self.headers = _header_names(contract)
        self.surface: Surface = "GA"
        self.visited: set[tuple[str, str]] = set()
        self.pending: deque[tuple[Any, Any, str]] = deque()
        self.report = SdkReport(str(types.package), types.version, str(contract.source or "contract"))

    def count(self, where: str, kind: SdkKind, sdk_type: str, named: bool) -> None:
        family = family_of(where)
        coverage = self.report.coverage.setdefault((self.surface, family), Coverage())
        coverage.known += 1
        coverage.named += named
        if not named:
            self.report.items.append(SdkItem(self.surface, family, kind, where, sdk_type, "warning"))

    def gone(self, where: str, sdk_type: str) -> None:
        self.report.items.append(SdkItem(self.surface, family_of(where), "field", where, sdk_type, "error"))

    def walk(self, sdk_node: Any, contract_node: Any, where: str) -> None:
        """Compare an SDK node with the contract node at the same place, after the places
        already waiting (breadth first)."""
        self.pending.append((sdk_node, contract_node, where))

    def run(self) -> None:
        while self.pending:
            self.compare(*self.pending.popleft())

    def compare(self, sdk_node: Any, contract_node: Any, where: str) -> None:
        sv, cv = self.sdk.view(sdk_node), self.contract.view(contract_node)
        if sv.ref and cv.ref:
            if (sv.ref, cv.ref) in self.visited:
                return
            self.visited.add((sv.ref, cv.ref))
        sdk_type = (sv.name or where)
        if sv.variants is not None:
            self.union(sv, cv, where, sdk_type)
        elif isinstance(sv.node.get("properties"), Mapping):
            self.fields(sv, self._object_of(cv, sv), where, sdk_type, skip=self._one_for_many(sv, cv, where, sdk_type))
        elif isinstance(sv.node.get("items"), (Mapping, bool)):
            items = self._array_items(cv)
            if items is not None:
                self.walk(sv.node["items"], items, f"{where}[]" if not where.endswith("[]") else where)
        elif (values := enum_of(sv.node)) is not None:
            self.values(values, cv, where, sdk_type)

    def union(self, sv: View, cv: View, where: str, sdk_type: str) -> None:
        variants = sv.variants or []
        prop = self.sdk.discriminator([sv])
        contract_variants = cv.variants if cv.variants is not None else [cv]
        contract_prop = self.contract.discriminator([cv]) or prop
        values: dict[str, Any] = {}
        for variant in variants:
            body = self.sdk.view(variant)
            key = self.sdk.variant_key(variant, prop, {}) if prop else None
            if key and isinstance(body.node.get("properties"), Mapping):
                name = sorted(key)[0]
                base = where.removesuffix("[]")
                match = next((c for c in contract_variants
                              if key & (self.contract.variant_key(c, contract_prop, cv.mapping) or frozenset())), None)
                self.count(f"{base}[{name}]", "variant", body.name or sdk_type, match is not None)
                if match is not None:
                    self.walk(variant, match, f"{base}[{name}]")
            elif (found := enum_of(body.node)) is not None:
                values.update(found)
            elif isinstance(body.node.get("items"), (Mapping, bool)):
                items = next((i for c in contract_variants if (i := self._array_items(self.contract.view(c))) is not None), None)
                if items is not None:
                    self.walk(body.node["items"], items, f"{where}[]")
            elif isinstance(body.node.get("properties"), Mapping):
                self.walk(variant, self._object_of(cv, body), where)
        if values:
            self.values(values, cv, where, sdk_type)

    def _one_for_many(self, sv: View, cv: View, where: str, sdk_type: str) -> str | None:
        """One SDK object facing a contract union (SDK 0.x's `MessageParam` with `role:
        Literal["user", "assistant"]`, the contract's one variant per role): the discriminator's
        values are looked for among all the variants. Returns the discriminator's name."""
        prop = self.contract.discriminator([cv]) if cv.variants is not None else None
        if prop is None or prop not in sv.node["properties"]:
            return None
        known: set[str] = set()
        for variant in cv.variants or []:
            known |= self.contract.variant_key(variant, prop, cv.mapping) or set()
        for key in enum_of(self.sdk.view(sv.node["properties"][prop]).node) or {}:
            self.count(f"{where}.{prop}={key}", "value", sdk_type, key in known)
        return prop

    def fields(self, sv: View, cv: View | None, where: str, sdk_type: str, *, skip: str | None = None) -> None:
        if cv is None:
            return
        contract_properties = cv.node.get("properties")
        if not isinstance(contract_properties, Mapping):
            return  # an open object in the contract names no fields: nothing to compare
        sdk_properties: Mapping[str, Any] = sv.node["properties"]
        for name, sub in sdk_properties.items():
            if name == skip:
                continue
            if name in contract_properties:
                body = self.sdk.view(sub).node
                if "const" in body:
                    continue  # the discriminator itself: matched with the variant
                self.count(f"{where}.{name}", "field", sdk_type, True)
                self.walk(sub, contract_properties[name], f"{where}.{name}")
            else:
                self.count(f"{where}.{name}", "field", sdk_type, HEADER_FIELDS.get(name, name) in self.headers)
        for name in cv.node.get("required") or []:
            if name not in sdk_properties:
                self.gone(f"{where}.{name}", sdk_type)

    def values(self, values: Mapping[str, Any], cv: View, where: str, sdk_type: str) -> None:
        named = self._contract_values(cv)
        for key in values:
            self.count(f"{where}={key}", "value", sdk_type, named is None or key in named)

    # -- the contract side ---------------------------------------------------------------------
    def _contract_values(self, cv: View) -> set[str] | None:
        """The values a contract place names; None when it is open (names any value)."""
        if cv.variants is None:
            found = enum_of(cv.node)
            return None if found is None else set(found)
        out: set[str] = set()
        for variant in cv.variants:
            found = enum_of(self.contract.view(variant).node)
            if found is None:
                return None
            out.update(found)
        return out

    def _object_of(self, cv: View, sv: View) -> View | None:
        """The contract object a single SDK object stands for: the place itself, or the variant
        of its union whose discriminator (`type`, `role`...) takes the SDK object's value, else
        its only object variant."""
        if cv.variants is None:
            return cv if isinstance(cv.node.get("properties"), Mapping) or "type" in cv.node else None
        objects = [self.contract.view(v) for v in cv.variants]
        objects = [v for v in objects if isinstance(v.node.get("properties"), Mapping)]
        prop = self.contract.discriminator([cv])
        wanted = self.sdk.variant_key(sv, prop, {}) if prop else None
        for candidate in objects:
            key = self.contract.variant_key(candidate, prop, {})
            if wanted and key and wanted & key:
                return candidate
        return objects[0] if len(objects) == 1 else None

    def _array_items(self, cv: View) -> Any:
        for candidate in cv.variants or [cv]:
            node = self.contract.view(candidate).node
            if isinstance(node.get("items"), (Mapping, bool)):
                return node["items"]
        return None



def _with_query_schemas(contract: Contract) -> dict[str, Any]:
    """The contract's document plus, for each list operation of ROOTS, its query parameters as
    one object schema (`lifecycle[]` named `lifecycle`, as the SDK names it)."""
    schemas = dict(contract.schemas)
    resolve = Schemas(contract.document).deref
    for root, _, _ in ROOTS:
        if not root.endswith(_QUERY):
            continue
        try:
            operation = contract.operation(root[: -len(_QUERY)])
        except ContractError:
            continue
        properties = {}
        for parameter in map(resolve, operation.definition.get("parameters") or []):
            if parameter.get("in") == "query":
                properties[str(parameter.get("name", "")).removesuffix("[]")] = parameter.get("schema") or {}
        schemas[root] = {"type": "object", "properties": properties}
    return {**contract.document, "components": {**(contract.document.get("components") or {}), "schemas": schemas}}


def _header_names(contract: Contract) -> set[str]:
    """Every request header the contract declares, on any operation."""
    resolve = Schemas(contract.document).deref
    declared = [*((contract.document.get("components") or {}).get("parameters") or {}).values()]
    for path_item in (contract.document.get("paths") or {}).values():
        for part in (path_item or {}).values():
            if isinstance(part, list):
                declared += part
            elif isinstance(part, dict):
                declared += part.get("parameters") or []
    return {str(p.get("name", "")).lower() for p in map(resolve, declared) if p.get("in") == "header"}
