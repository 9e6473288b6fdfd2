"""An installed official SDK's types, read without importing them, as a JSON Schema document.

The Stainless-generated `types/` of the anthropic package are plain declarations: pydantic
models and TypedDicts whose fields are annotated, and unions whose members carry a
`type: Literal[...]` discriminator. Parsing them with `ast` needs neither the SDK's
dependencies (httpx2, pydantic) nor its Python version, and reads an SDK 2.x next to the SDK
0.x this environment imports. Each class and type alias becomes one component schema named by
its module (`beta.beta_message.BetaMessage`), so the contract's own schema reader
(`conformance.drift._schema.Schemas`) reads both sides the same way.
"""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.contract import ContractError
from conformance.drift._schema import SCHEMA_PREFIX

_SCALARS = {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}
_ANYTHING = {"object", "Any", "Dict", "dict", "Mapping", "builtins", "datetime", "date", "FileTypes", "Base64FileInput"}
_ARRAYS = {"List", "list", "Iterable", "Sequence", "SequenceNotStr"}
_WRAPPERS = {"Required", "NotRequired", "ReadOnly", "Annotated", "Optional"}
_BASES = {"BaseModel", "TypedDict", "GenericModel"}
_MAX_FILE_BYTES = 2_000_000  # a generated types file is a few kB; anything larger is not one


@dataclass
class SdkTypes:
    """The types of one SDK: a bundled-document-shaped dict of component schemas."""

    package: Path
    version: str
    document: dict[str, Any] = field(default_factory=dict)

    @property
    def schemas(self) -> dict[str, Any]:
        schemas: dict[str, Any] = self.document["components"]["schemas"]
        return schemas

    def find(self, name: str) -> str | None:
        """The component for `module.Class` (as written under types/), or None."""
        return name if name in self.schemas else None


def locate_sdk(path: str | Path | None = None) -> Path:
    """The `anthropic` package folder: the one importable here, or under PATH.

    PATH may be the package folder itself, a folder holding it (site-packages, a
    `pip install --target` folder) or an unpacked wheel or sdist (`src/anthropic`).
    """
    if path is None:
        spec = importlib.util.find_spec("anthropic")  # finds the package without running it
        if spec is None or not spec.submodule_search_locations:
            raise ContractError("no anthropic package is installed here: pass --sdk PATH")
        return Path(next(iter(spec.submodule_search_locations)))
    root = Path(path).expanduser()
    for candidate in (root, root / "anthropic", root / "src" / "anthropic"):
        if (candidate / "types").is_dir():
            return candidate
    raise ContractError(f"{root}: not an anthropic SDK (no types/ folder in it, nor in anthropic/ or src/anthropic/)")


def read_sdk_types(path: str | Path | None = None) -> SdkTypes:
    """Parse every module under the SDK's `types/` (beta included) into component schemas."""
    package = locate_sdk(path)
    types_root = package / "types"
    sdk = SdkTypes(package, _version(package), {"components": {"schemas": {}}})
    modules = {_module_name(types_root, file): file for file in sorted(types_root.rglob("*.py"))}
    for module, file in modules.items():
        try:
            if file.stat().st_size > _MAX_FILE_BYTES:
                continue
            tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
        except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
            continue  # one unreadable file costs its own types, not the whole reading
        _Module(module, tree, sdk.schemas, package=file.name == "__init__.py").read()
    if not sdk.schemas:
        raise ContractError(f"{package}: no types could be read")
    return sdk


def _module_name(types_root: Path, file: Path) -> str:
    parts = list(file.relative_to(types_root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _version(package: Path) -> str:
    try:
        tree = ast.parse((package / "_version.py").read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return "unknown"
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets):
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                return node.value.value
    return "unknown"


class _Module:
    """One types module: its imports (local name → component) and its declarations."""

    def __init__(self, name: str, tree: ast.Module, schemas: dict[str, Any], *, package: bool = False) -> None:
        self.name = name
        self.package = package
        self.tree = tree
        self.schemas = schemas
        self.imports: dict[str, str] = {}
        self.local: set[str] = set()

    def read(self) -> None:
        parts = self.name.split(".") if self.name else []
        package = parts if self.package else parts[:-1]
        for node in self.tree.body:
            if isinstance(node, ast.ImportFrom) and node.level > 0:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                module = [*base, *(node.module.split(".") if node.module else [])]
                for alias in node.names:
                    target = ".".join([*module, alias.name]) if node.module else ".".join([*base, alias.name, alias.name])
                    self.imports[alias.asname or alias.name] = target
            elif isinstance(node, ast.ClassDef):
                self.local.add(node.name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                self.local.update(_targets(node))
        for node in self.tree.body:
            if isinstance(node, ast.ClassDef) and self._is_model(node):
                self.schemas[self.qualify(node.name)] = self._class(node)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
                if _name(node.annotation) == "TypeAlias":
                    self.schemas[self.qualify(node.target.id)] = self.annotation(node.value)
            elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                if isinstance(node.value, ast.Call) and _name(node.value.func) == "TypedDict":
                    self.schemas[self.qualify(node.targets[0].id)] = self._functional_typed_dict(node.value)
                elif _is_type_expression(node.value):
                    self.schemas[self.qualify(node.targets[0].id)] = self.annotation(node.value)

    def qualify(self, local: str) -> str:
        return f"{self.name}.{local}" if self.name else local

    def _is_model(self, node: ast.ClassDef) -> bool:
        return any(_name(base) in _BASES or _name(base) in self.local or _name(base) in self.imports for base in node.bases)

    def _class(self, node: ast.ClassDef) -> dict[str, Any]:
        typed_dict = any(_name(b) == "TypedDict" for b in node.bases)
        total = not any(k.arg == "total" and isinstance(k.value, ast.Constant) and k.value.value is False for k in node.keywords)
        properties: dict[str, Any] = {}
        required: list[str] = []
        parents = [self.reference(_name(b)) for b in node.bases if _name(b) not in _BASES]
        for statement in node.body:
            if not (isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)):
                continue
            field_name = _alias(statement) or statement.target.id
            properties[field_name] = self.annotation(statement.annotation)
            wrapper = _name(statement.annotation.value) if isinstance(statement.annotation, ast.Subscript) else ""
            if typed_dict:
                needed = wrapper == "Required" or (total and wrapper != "NotRequired")
            else:
                needed = statement.value is None and not _optional(statement.annotation)
            if needed:
                required.append(field_name)
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        if parents:
            return {"allOf": [*parents, schema]}
        return schema

    def _functional_typed_dict(self, call: ast.Call) -> dict[str, Any]:
        """`TypedDict("X", {"from": Required[T]}, total=False)`: how Stainless declares fields
        whose names are Python keywords."""
        fields = call.args[1] if len(call.args) > 1 and isinstance(call.args[1], ast.Dict) else ast.Dict(keys=[], values=[])
        total = not any(k.arg == "total" and isinstance(k.value, ast.Constant) and k.value.value is False for k in call.keywords)
        properties: dict[str, Any] = {}
        required: list[str] = []
        for key, value in zip(fields.keys, fields.values, strict=True):
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                properties[key.value] = self.annotation(value)
                wrapper = _name(value.value) if isinstance(value, ast.Subscript) else ""
                if wrapper == "Required" or (total and wrapper != "NotRequired"):
                    required.append(key.value)
        return {"type": "object", "properties": properties, **({"required": required} if required else {})}

    def reference(self, local: str) -> dict[str, Any]:
        if local in self.local:
            return {"$ref": SCHEMA_PREFIX + self.qualify(local)}
        if local in self.imports:
            return {"$ref": SCHEMA_PREFIX + self.imports[local]}
        return {}

    def annotation(self, node: ast.expr) -> dict[str, Any]:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str):  # a forward reference
                try:
                    return self.annotation(ast.parse(node.value, mode="eval").body)
                except SyntaxError:
                    return {}
            return {"type": "null"} if node.value is None else {}
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return {"anyOf": [self.annotation(node.left), self.annotation(node.right)]}
        if isinstance(node, (ast.Name, ast.Attribute)):
            name = _name(node)
            if name in _SCALARS:
                return {"type": _SCALARS[name]}
            if name in _ANYTHING or name in ("None",):
                return {"type": "null"} if name == "None" else {}
            return self.reference(name)
        if not isinstance(node, ast.Subscript):
            return {}
        outer = _name(node.value)
        args = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
        if outer == "Literal":
            values = [a.value for a in args if isinstance(a, ast.Constant)]
            return {"const": values[0]} if len(values) == 1 else {"enum": values}
        if outer == "Union":
            return {"anyOf": [self.annotation(a) for a in args]}
        if outer == "Optional":
            return {"anyOf": [self.annotation(args[0]), {"type": "null"}]}
        if outer in _WRAPPERS:
            return self.annotation(args[0])
        if outer in _ARRAYS:
            return {"type": "array", "items": self.annotation(args[0])}
        return {}  # Dict[...], Mapping[...] and the like: any value


def _targets(node: ast.Assign | ast.AnnAssign) -> Iterator[str]:
    for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
        if isinstance(target, ast.Name):
            yield target.id


def _alias(statement: ast.AnnAssign) -> str | None:
    """The wire name of a field renamed in Python (`from_` is `from`): pydantic's
    `= FieldInfo(alias=...)` or a TypedDict's `Annotated[T, PropertyInfo(alias=...)]`."""
    calls = [statement.value] if isinstance(statement.value, ast.Call) else []
    calls += [n for n in ast.walk(statement.annotation) if isinstance(n, ast.Call)]
    for call in calls:
        for keyword in call.keywords:
            if keyword.arg == "alias" and isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, str):
                return keyword.value.value
    return None


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _optional(annotation: ast.expr) -> bool:
    if isinstance(annotation, ast.Subscript):
        outer = _name(annotation.value)
        if outer == "Optional":
            return True
        if outer == "Union":
            elts = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else [annotation.slice]
            return any(isinstance(e, ast.Constant) and e.value is None or _name(e) == "None" for e in elts)
    return False


def _is_type_expression(node: ast.expr) -> bool:
    """`X = Union[...]` / `X = Literal[...]` / `X = OtherType` declare a type; calls and values do not."""
    if isinstance(node, ast.Subscript):
        return _name(node.value) in {"Union", "Literal", "Optional", "Annotated", *_ARRAYS}
    return False
