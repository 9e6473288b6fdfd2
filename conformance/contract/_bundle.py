"""Join a contract split across files by relative `$ref` into one self-contained document.

Every component of every file reached is copied into the bundle's `components` under its own
name (names are global across the contract's files, so a clash is an error, not a rename), and
every `$ref` is rewritten to point inside the bundle. Non-component targets (path items) are
inlined. A single-file document passes through unchanged.

Written here rather than taken from a library: the OpenAPI bundlers on PyPI (prance and the
like) inline every reference, which explodes recursive schemas and loses component names that
reports and checks use.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml

from conformance.contract._errors import ContractError

try:  # the C loader is ten times faster on the contract's YAML
    _YamlLoader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _YamlLoader = yaml.SafeLoader


def read_document(path: Path) -> dict[str, Any]:
    """Parse a YAML or JSON file into a dict, with a one-line error on failure."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContractError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ContractError(f"{path}: cannot read: {exc}") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.load(text, Loader=_YamlLoader)
    except (ValueError, yaml.YAMLError) as exc:
        raise ContractError(f"{path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {_describe(exc)}") from None
    if not isinstance(data, dict):
        raise ContractError(f"{path}: expected a mapping at the top level, found {type(data).__name__}")
    return data


def _describe(exc: Exception) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None)
    if mark is not None and problem:
        return f"{problem} (line {mark.line + 1}, column {mark.column + 1})"
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _pointer_get(document: Any, pointer: str, where: str) -> Any:
    node = document
    for raw in pointer.lstrip("/").split("/") if pointer.strip("/") else []:
        part = unquote(raw).replace("~1", "/").replace("~0", "~")
        try:
            node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, ValueError, TypeError):
            raise ContractError(f"{where}: unresolvable reference, no '{pointer}'") from None
    return node


class _Bundler:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.documents: dict[Path, dict[str, Any]] = {}
        self.components: dict[str, dict[str, Any]] = {}
        self.origin: dict[tuple[str, str], Path] = {}

    def document(self, path: Path) -> dict[str, Any]:
        if path not in self.documents:
            self.documents[path] = read_document(path)
            if path != self.root:
                self._adopt_components(path)
        return self.documents[path]

    def _adopt_components(self, path: Path) -> None:
        for kind, entries in (self.documents[path].get("components") or {}).items():
            for name in entries or {}:
                self._register(kind, name, path)

    def _register(self, kind: str, name: str, path: Path) -> None:
        key = (kind, name)
        if key in self.origin:
            if self.origin[key] != path:
                raise ContractError(
                    f"{path.name}: component {kind}/{name} is also defined in {self.origin[key].name}"
                )
            return
        self.origin[key] = path
        # Reserve the slot before rewriting, so recursive schemas terminate.
        self.components.setdefault(kind, {})[name] = {}
        source = self.documents[path]["components"][kind][name]
        self.components[kind][name] = self.rewrite(source, path)

    def rewrite(self, node: Any, current: Path) -> Any:
        if isinstance(node, list):
            return [self.rewrite(item, current) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str):
            return self._rewrite_ref(node, ref, current)
        return {key: self.rewrite(value, current) for key, value in node.items()}

    def _rewrite_ref(self, node: dict[str, Any], ref: str, current: Path) -> Any:
        file_part, _, pointer = ref.partition("#")
        if file_part.startswith(("http://", "https://")):
            raise ContractError(f"{current.name}: remote reference {ref!r} is not supported")
        target = (current.parent / file_part).resolve() if file_part else current
        siblings = {k: self.rewrite(v, current) for k, v in node.items() if k != "$ref"}
        parts = pointer.strip("/").split("/")
        if len(parts) == 3 and parts[0] == "components":
            kind, name = parts[1], unquote(parts[2]).replace("~1", "/").replace("~0", "~")
            document = self.document(target)
            _pointer_get(document, pointer, f"{current.name}: {ref}")
            if target == self.root:
                self.origin.setdefault((kind, name), target)
            elif self.origin.get((kind, name)) != target:
                self._register(kind, name, target)
            return {"$ref": f"#/components/{kind}/{parts[2]}", **siblings}
        if target == self.root and not file_part:
            return {"$ref": ref, **siblings}
        # Anything else (a path item in another file) is inlined.
        inlined = self.rewrite(_pointer_get(self.document(target), pointer, f"{current.name}: {ref}"), target)
        return {**inlined, **siblings} if isinstance(inlined, dict) else inlined


def bundle(root: Path) -> dict[str, Any]:
    """Load `root` and every file it reaches into one document with internal references only."""
    bundler = _Bundler(root)
    document = bundler.document(bundler.root)
    for kind, entries in (document.get("components") or {}).items():
        for name in entries or {}:
            bundler.origin[(kind, name)] = bundler.root
    result = {key: bundler.rewrite(value, bundler.root) for key, value in document.items() if key != "components"}
    components = {kind: dict(entries or {}) for kind, entries in (document.get("components") or {}).items()}
    for kind in components:
        components[kind] = {name: bundler.rewrite(value, bundler.root) for name, value in components[kind].items()}
    for kind, entries in bundler.components.items():
        for name, value in entries.items():
            if name in components.get(kind, {}) and bundler.origin[(kind, name)] != bundler.root:
                raise ContractError(f"component {kind}/{name} is defined both in the root and in another file")
            components.setdefault(kind, {})[name] = value
    if components:
        result["components"] = components
    return result
