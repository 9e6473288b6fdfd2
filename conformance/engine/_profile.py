"""Profiles: what a target offers and how strictly to judge it, in a TOML file users can extend.

A profile is a flat TOML table (see conformance/profiles/*.toml and docs/profiles.md):

    name = "my-server"
    extends = "compat-messages"          # optional: start from another profile
    operations = ["createMessage", "countMessageTokens"]   # or ["*"]
    live = false                          # paid target: clamp, budget, never shrink
    max_examples = 5
    max_tokens_cap = 64
    budget_tokens = 20000                 # live targets: stop cleanly past this many tokens
    negative = "strict"                   # strict | lenient | off
    deterministic = true                  # same request, same answer (stream ≡ non-stream exactly)
    count_tokens_tolerance = 0.0          # relative difference allowed vs usage.input_tokens
    [checks]
    "sse.ping" = "off"                   # per check id: off | warning | error
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from conformance._exchange import Finding
from conformance.contract import ContractError

PROFILES = Path(__file__).resolve().parents[1] / "profiles"
Negative = Literal["strict", "lenient", "off"]
CheckSetting = Literal["off", "warning", "error"]


class ProfileError(ContractError):
    """A profile cannot be loaded; one line naming the file and the problem."""


@dataclass(frozen=True)
class Profile:
    name: str
    description: str = ""
    base_url: str | None = None
    model: str | None = None
    """The model requests name; None: the first model the target's /v1/models lists."""
    operations: tuple[str, ...] = ("*",)
    live: bool = False
    max_examples: int = 8
    phases: tuple[str, ...] = ("examples", "fuzzing")
    """Schemathesis phases for generated traffic: examples, coverage, fuzzing, stateful (coverage
    sends hundreds of boundary cases per operation: thorough, and slow on a 24-operation contract;
    stateful follows the contract's links through multi-step flows)."""
    max_tokens_cap: int = 256
    budget_tokens: int | None = None
    negative: Negative = "strict"
    deterministic: bool = True
    count_tokens_tolerance: float = 0.0
    checks: dict[str, CheckSetting] = field(default_factory=dict)

    def offers(self, operation_id: str) -> bool:
        return "*" in self.operations or operation_id in self.operations

    def check_setting(self, check_id: str) -> CheckSetting | None:
        return self.checks.get(check_id)

    def check_options(self) -> dict[str, Any]:
        """The knobs checks read from `CheckContext.options`."""
        return {"count_tokens_tolerance": self.count_tokens_tolerance, "deterministic": self.deterministic,
                "negative": self.negative}

    def judge(self, finding: Finding) -> Finding | None:
        """A finding with the profile's severity for its check applied; None when the check is off."""
        setting = self.check_setting(finding.check_id)
        if setting == "off":
            return None
        return replace(finding, severity=setting) if setting in ("warning", "error") else finding


_TYPES: dict[str, type] = {
    "name": str, "description": str, "base_url": str, "model": str, "live": bool, "max_examples": int,
    "max_tokens_cap": int, "budget_tokens": int, "deterministic": bool, "count_tokens_tolerance": float,
}


def builtin_profiles() -> list[str]:
    return sorted(p.stem for p in PROFILES.glob("*.toml"))


def load_profile(name_or_path: str | Path) -> Profile:
    """A built-in profile by name, or a TOML file by path."""
    path = Path(name_or_path)
    if path.suffix != ".toml":
        path = PROFILES / f"{name_or_path}.toml"
        if not path.is_file():
            raise ProfileError(f"unknown profile {str(name_or_path)!r} (built in: {', '.join(builtin_profiles())})")
    return _load(path, seen=())


def _load(path: Path, seen: tuple[Path, ...]) -> Profile:
    if path in seen:
        raise ProfileError(f"{path}: profiles extend each other in a cycle")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProfileError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"{path}: not a valid profile: {exc}") from None
    base = Profile(name=path.stem)
    parent = data.pop("extends", None)
    if parent is not None:
        parent_path = Path(parent) if str(parent).endswith(".toml") else PROFILES / f"{parent}.toml"
        if not parent_path.is_absolute() and str(parent).endswith(".toml"):
            parent_path = path.parent / parent_path
        base = _load(parent_path, (*seen, path))
    return _apply(base, data, path)


def _apply(base: Profile, data: dict[str, Any], path: Path) -> Profile:
    known = {f.name for f in fields(Profile)}
    unknown = set(data) - known
    if unknown:
        raise ProfileError(f"{path}: unknown setting(s) {', '.join(sorted(unknown))}")
    changes: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("operations", "phases"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ProfileError(f"{path}: {key} must be a list of names")
            if key == "phases" and not set(value) <= {"examples", "coverage", "fuzzing", "stateful"}:
                raise ProfileError(f"{path}: phases are examples, coverage, fuzzing and stateful")
            changes[key] = tuple(value)
        elif key == "checks":
            if not isinstance(value, dict) or any(v not in ("off", "warning", "error") for v in value.values()):
                raise ProfileError(f"{path}: [checks] values must be off, warning or error")
            changes[key] = {**base.checks, **value}
        elif key == "negative":
            if value not in ("strict", "lenient", "off"):
                raise ProfileError(f"{path}: negative must be strict, lenient or off")
            changes[key] = value
        else:
            expected = _TYPES[key]
            if key == "count_tokens_tolerance" and isinstance(value, int):
                value = float(value)
            if not isinstance(value, expected) or (isinstance(value, bool) and expected is not bool):
                raise ProfileError(f"{path}: {key} has the wrong type ({type(value).__name__})")
            changes[key] = value
    return replace(base, **changes)
