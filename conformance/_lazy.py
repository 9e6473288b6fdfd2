"""Names a package exports but imports on first use (PEP 562): what would load a heavy library
(schemathesis, vcrpy) for callers that do not need it (a replay, `conformance validate`)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_names(package: str, modules: Mapping[str, tuple[str, ...]]) -> Callable[[str], Any]:
    """A module `__getattr__` for `package`: each name of `modules[submodule]` is that submodule's."""
    where = {name: submodule for submodule, names in modules.items() for name in names}

    def __getattr__(name: str) -> Any:
        submodule = where.get(name)
        if submodule is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{submodule}"), name)

    return __getattr__
