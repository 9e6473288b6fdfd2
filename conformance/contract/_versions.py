"""The API versions a contract describes, and the view of it one version gives.

The contract describes every version it lists in the `anthropic-version` header's enum
(2023-06-01 and 2026-10-21 for the bundled one). What exists only from some version on is marked
on its schema with `x-anthropic-version-ga: <version>`: before that version it is a beta feature
(recorded 2023-06-01 traffic carries system-role messages on `?beta=true` calls), from it on it is
general. So the whole document accepts what any version accepts (recorded traffic of any version
validates against it), and `version_document` gives what one version offers without a beta: the
header pinned to that version, and the union variants that version does not have yet left out.
Generated requests of a run then carry its version and only what it accepts.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from conformance.contract._errors import ContractError

VERSION_HEADER = "anthropic-version"
GA_MARK = "x-anthropic-version-ga"
_REF_PREFIX = "#/components/schemas/"


def _version_parameter(document: Mapping[str, Any]) -> dict[str, Any] | None:
    parameters = (document.get("components") or {}).get("parameters") or {}
    for parameter in parameters.values():
        if isinstance(parameter, dict) and str(parameter.get("name", "")).lower() == VERSION_HEADER:
            return parameter
    return None


def api_versions(document: Mapping[str, Any]) -> tuple[str, ...]:
    """The versions the `anthropic-version` header's enum lists (empty when it is open)."""
    parameter = _version_parameter(document) or {}
    values = (parameter.get("schema") or {}).get("enum") or []
    return tuple(str(v) for v in values)


def version_gates(document: Mapping[str, Any]) -> dict[str, str]:
    """Schema name → the version from which it is general (the `x-anthropic-version-ga` marks)."""
    schemas = (document.get("components") or {}).get("schemas") or {}
    return {name: str(s[GA_MARK]) for name, s in schemas.items() if isinstance(s, Mapping) and GA_MARK in s}


def version_document(document: Mapping[str, Any], version: str) -> dict[str, Any]:
    """What `version` offers without a beta: the header pinned to it, later variants left out."""
    known = api_versions(document)
    if known and version not in known:
        raise ContractError(f"the contract describes API versions {', '.join(known)}, not {version!r}")
    out = copy.deepcopy(dict(document))
    parameter = _version_parameter(out)
    if parameter is not None:
        parameter["schema"] = {**(parameter.get("schema") or {}), "enum": [version]}
    later = {f"{_REF_PREFIX}{name}" for name, ga in version_gates(out).items() if version < ga}
    for schema in ((out.get("components") or {}).get("schemas") or {}).values():
        if isinstance(schema, dict):
            _drop_variants(schema, later)
    return out


def _drop_variants(schema: dict[str, Any], refs: set[str]) -> None:
    for union in ("oneOf", "anyOf"):
        variants = schema.get(union)
        if isinstance(variants, list) and any(isinstance(v, dict) and v.get("$ref") in refs for v in variants):
            schema[union] = [v for v in variants if not (isinstance(v, dict) and v.get("$ref") in refs)]
            mapping = (schema.get("discriminator") or {}).get("mapping")
            if isinstance(mapping, dict):
                schema["discriminator"]["mapping"] = {k: v for k, v in mapping.items() if v not in refs}


def gated_messages(document: Mapping[str, Any], body: Any, version: str, *, beta: bool) -> list[str]:
    """Why a Messages request body is not for `version` without a beta: the messages whose
    `role` selects a variant general only from a later version. Empty when it is fine."""
    if beta or not isinstance(body, Mapping) or not isinstance(body.get("messages"), list):
        return []
    schemas = (document.get("components") or {}).get("schemas") or {}
    mapping = ((schemas.get("MessageParam") or {}).get("discriminator") or {}).get("mapping") or {}
    gates = version_gates(document)
    reasons = []
    for index, message in enumerate(body["messages"]):
        role = message.get("role") if isinstance(message, Mapping) else None
        target = str(mapping.get(role, "")).removeprefix(_REF_PREFIX) if isinstance(role, str) else ""
        ga = gates.get(target)
        if ga is not None and version < ga:
            reasons.append(f"messages.{index}: role {role!r} messages need API version {ga} (or a beta call)")
    return reasons
