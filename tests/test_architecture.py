"""The layout is the architecture: no module of `conformance/` imports another package's private
module (import-linter, run by .ci/run, keeps the layers; this keeps the package boundaries)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "conformance"


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
    return names


def test_no_module_imports_another_packages_private_module() -> None:
    crossings = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        own = parts[0] if len(parts) > 1 else None  # a package's modules, or a top-level module (None)
        for name in _imports(path):
            segments = name.split(".")
            if segments[0] != "conformance" or len(segments) < 3:
                continue
            package, module = segments[1], segments[2]
            if module.startswith("_") and package != own:
                crossings.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert crossings == []


def test_every_package_declares_its_public_api() -> None:
    for init in sorted(PACKAGE.glob("*/__init__.py")):
        tree = ast.parse(init.read_text(encoding="utf-8"))
        exported = [node for node in tree.body if isinstance(node, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)]
        assert exported, f"{init.parent.name}/__init__.py has no __all__"
