"""The contract: loading it, its operations and schemas, and its strict and tolerant views.

The bundled contract lives in `specs/` (docs/contract.md explains its conventions).
"""

from conformance.contract._bundle import read_document
from conformance.contract._contract import (
    Contract,
    ContractView,
    Operation,
    SchemaError,
    View,
    bundled_contract_path,
    load_contract,
)
from conformance.contract._errors import ContractError
from conformance.contract._rules import broken_rule, keep_thinking_valid
from conformance.contract._views import response_schema_names, tolerant_document

__all__ = [
    "Contract",
    "ContractError",
    "ContractView",
    "Operation",
    "SchemaError",
    "View",
    "broken_rule",
    "bundled_contract_path",
    "keep_thinking_valid",
    "load_contract",
    "read_document",
    "response_schema_names",
    "tolerant_document",
]
