"""A deterministic JSON-schema instance generator, for tool inputs and structured outputs.

Covers what tool schemas use in practice: `type` (one or a list), `enum`, `const`, objects
(`properties`, `required`; optional properties are included by chance), arrays (`items`,
`prefixItems`, `minItems`/`maxItems`, `uniqueItems` for scalars), strings (`minLength`/`maxLength`,
common `format`s, `pattern` when one of a few candidates matches), integers and numbers (bounds,
exclusive bounds, `multipleOf`), booleans, null, `anyOf`/`oneOf` (first usable branch), `allOf`
(merged object keywords), `default`/`examples`, and local `$ref`s (`#/$defs/...`). Anything it
cannot handle yields the simplest value of the declared type, or `{}` for a tool input as a whole,
so an instance is always produced. The tests check the output validates with `jsonschema`.
"""

from __future__ import annotations

import math
import re
import sys

if sys.version_info >= (3, 11):  # Python's regex parser: public as sre_parse until 3.11, re._parser since
    import re._parser as sre_parse  # type: ignore[import-not-found]
else:  # pragma: no cover - Python 3.10
    import sre_parse
from collections.abc import Mapping
from typing import Any

from conformance.server._rng import Rng

_WORDS = ("alpha", "beta", "gamma", "delta", "paris", "tokyo", "lima", "oslo", "blue", "green", "seven", "north")
_FORMATS = {
    "date-time": "2025-01-01T00:00:00Z",
    "date": "2025-01-01",
    "time": "12:00:00Z",
    "email": "user@example.com",
    "uri": "https://example.com/item",
    "url": "https://example.com/item",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
}
_MAX_DEPTH = 12
_MAX_ITEMS = 3


def generate(schema: Any, rng: Rng, root: Any = None, depth: int = 0) -> Any:
    """An instance of `schema`, derived only from the schema and `rng`."""
    if schema is True or not isinstance(schema, Mapping):
        return {}
    root = schema if root is None else root
    if depth > _MAX_DEPTH:
        return _simplest(schema)
    if "$ref" in schema:
        target = _resolve(root, schema["$ref"])
        return generate(target, rng, root, depth + 1) if target is not None else {}
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return rng.choice(schema["enum"])
    for key in ("anyOf", "oneOf"):
        branches = schema.get(key)
        if isinstance(branches, list) and branches:
            usable = [b for b in branches if isinstance(b, Mapping) and b.get("type") != "null"] or branches
            merged = {k: v for k, v in schema.items() if k != key}
            branch = usable[0]
            return generate({**merged, **branch} if isinstance(branch, Mapping) else merged, rng, root, depth + 1)
    if isinstance(schema.get("allOf"), list):
        return generate(_merge_all_of(schema), rng, root, depth + 1)
    kind = _type_of(schema)
    if kind == "object":
        return _object(schema, rng, root, depth)
    if kind == "array":
        return _array(schema, rng, root, depth)
    if kind == "string":
        return _string(schema, rng)
    if kind == "integer":
        return _integer(schema, rng)
    if kind == "number":
        return _number(schema, rng)
    if kind == "boolean":
        return rng.chance(0.5)
    if kind == "null":
        return None
    return {}


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _type_of(schema: Mapping[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        return kinds[0] if kinds else ("null" if kind else None)
    if isinstance(kind, str):
        return kind
    if "properties" in schema or "required" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    return None


def _simplest(schema: Mapping[str, Any]) -> Any:
    return {"object": {}, "array": [], "string": "", "integer": 0, "number": 0, "boolean": False, "null": None}.get(
        _type_of(schema) or "object", {}
    )


def _resolve(root: Any, ref: Any) -> Any:
    if not isinstance(ref, str) or not ref.startswith("#"):
        return None
    node = root
    for part in ref[1:].split("/")[1:] if ref.startswith("#/") else []:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        else:
            return None
    return node


def _merge_all_of(schema: Mapping[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    for part in schema["allOf"]:
        if not isinstance(part, Mapping):
            continue
        for key, value in part.items():
            if key == "properties" and isinstance(value, Mapping):
                merged["properties"] = {**merged.get("properties", {}), **value}
            elif key == "required" and isinstance(value, list):
                merged["required"] = list(dict.fromkeys([*merged.get("required", []), *value]))
            else:
                merged.setdefault(key, value)
    return merged


def _object(schema: Mapping[str, Any], rng: Rng, root: Any, depth: int) -> dict[str, Any]:
    props = _mapping(schema.get("properties"))
    required = [r for r in _list(schema.get("required")) if isinstance(r, str)]
    out: dict[str, Any] = {}
    for name, sub in props.items():
        if name in required or rng.chance(0.5):
            out[name] = generate(sub, rng, root, depth + 1)
    for name in required:
        if name not in out:
            # Required but not described: any value passes unless additionalProperties says otherwise.
            extra = schema.get("additionalProperties")
            out[name] = generate(extra, rng, root, depth + 1) if isinstance(extra, Mapping) else _WORDS[0]
    minimum = schema.get("minProperties")
    if isinstance(minimum, int) and len(out) < minimum:
        for name, sub in props.items():
            if len(out) >= minimum:
                break
            out.setdefault(name, generate(sub, rng, root, depth + 1))
    return out


def _array(schema: Mapping[str, Any], rng: Rng, root: Any, depth: int) -> list[Any]:
    prefix = _list(schema.get("prefixItems"))
    items = schema.get("items")
    low = _int(schema.get("minItems"), 0)
    upper = min(_int(schema.get("maxItems"), _MAX_ITEMS), max(low, _MAX_ITEMS))
    if items is False:
        upper = min(upper, len(prefix))  # no items allowed past the prefix
    count = rng.between(low, max(low, upper))
    out = [generate(prefix[i] if i < len(prefix) else items, rng, root, depth + 1) for i in range(count)]
    if schema.get("uniqueItems") and len({repr(x) for x in out}) != len(out):
        out = _make_unique(out, items, low)
    return out


def _make_unique(items: list[Any], schema: Any, low: int) -> list[Any]:
    seen: dict[str, Any] = {}
    for item in items:
        seen.setdefault(repr(item), item)
    unique = list(seen.values())
    kind = _type_of(schema) if isinstance(schema, Mapping) else None
    n = 0
    while len(unique) < low and kind in ("string", "integer", "number") and n < 1000:
        candidate: Any = f"{_WORDS[n % len(_WORDS)]}{n}" if kind == "string" else n
        if repr(candidate) not in seen:
            seen[repr(candidate)] = candidate
            unique.append(candidate)
        n += 1
    return unique


def _string(schema: Mapping[str, Any], rng: Rng) -> str:
    low = _int(schema.get("minLength"), 0)
    high = _int(schema.get("maxLength"), -1)
    fmt = schema.get("format")
    if fmt == "uuid":
        h = f"{rng.next64():016x}{rng.next64():016x}"
        value = f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}"
    elif isinstance(fmt, str) and fmt in _FORMATS:
        value = _FORMATS[fmt]
    else:
        value = rng.choice(_WORDS)
        if rng.chance(0.5):
            value = f"{value} {rng.choice(_WORDS)}"
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        value = _matching(pattern, value, rng)
    if len(value) < low:
        value = (value + "x" * low)[:max(low, len(value))] if value else "x" * low
    if high >= 0 and len(value) > high:
        value = value[:high]
    return value


def _matching(pattern: str, preferred: str, rng: Rng) -> str:
    try:
        compiled = re.compile(pattern)
    except re.error:
        return preferred
    if compiled.search(preferred):
        return preferred
    try:
        built = _from_regex(sre_parse.parse(pattern), rng)
    except (re.error, ValueError, TypeError, RecursionError):
        built = None
    candidates = [built, *_WORDS, "a", "A", "0", "1", "abc123", "ABC", "a-b_c", f"{rng.below(1000)}", "2025-01-01", "user@example.com"]
    for candidate in candidates:
        if candidate is not None and compiled.search(candidate):
            return candidate
    return preferred


_CATEGORY_CHARS = {"CATEGORY_DIGIT": "0123456789", "CATEGORY_WORD": "abcxyz_019", "CATEGORY_SPACE": " ",
                   "CATEGORY_NOT_DIGIT": "abc", "CATEGORY_NOT_WORD": "-.", "CATEGORY_NOT_SPACE": "abc"}


def _from_regex(tree: Any, rng: Rng, depth: int = 0) -> str:
    """A string matching a parsed regex (Python's own parser): literals, classes, repeats, groups,
    alternation. Unbounded repeats stop at min + 3; lookarounds and backreferences are skipped."""
    if depth > 20:
        raise RecursionError
    out: list[str] = []
    for op, arg in tree:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "ANY":
            out.append("a")
        elif name == "IN":
            out.append(_from_class(arg, rng))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, item = arg
            high = low + 3 if high == sre_parse.MAXREPEAT else high
            out.extend(_from_regex(item, rng, depth + 1) for _ in range(low + rng.below(high - low + 1)))
        elif name == "SUBPATTERN":
            out.append(_from_regex(arg[-1], rng, depth + 1))
        elif name == "BRANCH":
            out.append(_from_regex(rng.choice(arg[1]), rng, depth + 1))
        elif name in ("AT", "ASSERT", "ASSERT_NOT", "GROUPREF"):
            continue
        else:
            raise ValueError(name)
    return "".join(out)


def _from_class(items: Any, rng: Rng) -> str:
    if items and str(items[0][0]) == "NEGATE":
        excluded = {chr(c) for op, c in items[1:] if str(op) == "LITERAL"}
        return next(c for c in "aZ09-_" if c not in excluded)
    op, arg = rng.choice(list(items))
    if str(op) == "LITERAL":
        return chr(arg)
    if str(op) == "RANGE":
        low, high = arg
        return chr(low + rng.below(high - low + 1))
    if str(op) == "CATEGORY":
        return rng.choice(_CATEGORY_CHARS.get(str(arg), "a"))
    raise ValueError(str(op))


def _integer(schema: Mapping[str, Any], rng: Rng) -> int:
    low, high = _bounds(schema)
    lo = math.ceil(low) if low is not None else (min(0, math.floor(high)) if high is not None and high < 0 else 0)
    hi = math.floor(high) if high is not None else lo + 100
    lo = min(lo, hi)
    step = schema.get("multipleOf")
    if isinstance(step, int) and step > 0:
        first = math.ceil(lo / step)
        last = math.floor(hi / step)
        return step * rng.between(first, last) if last >= first else step * first
    return rng.between(lo, hi)


def _number(schema: Mapping[str, Any], rng: Rng) -> float | int:
    step = schema.get("multipleOf")
    if isinstance(step, (int, float)) and not isinstance(step, bool) and step > 0:
        low, high = _bounds(schema)
        first = math.ceil((low if low is not None else 0) / step)
        last = math.floor((high if high is not None else first * step + 100 * step) / step)
        k = rng.between(first, max(first, last))
        return k * step if isinstance(step, int) else round(k * step, 12)
    low, high = _bounds(schema)
    lo = low if low is not None else (min(0.0, high - 1) if high is not None else 0.0)
    hi = high if high is not None else lo + 100.0
    value = round(lo + (hi - lo) * rng.unit(), 3)
    # Rounding may step outside an exclusive or tight bound: fall back to the midpoint.
    return value if lo <= value <= hi else (lo + hi) / 2


def _bounds(schema: Mapping[str, Any]) -> tuple[float | None, float | None]:
    def num(key: str) -> float | None:
        value = schema.get(key)
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    low, high = num("minimum"), num("maximum")
    ex_low, ex_high = num("exclusiveMinimum"), num("exclusiveMaximum")
    integral = _type_of(schema) == "integer"
    if ex_low is not None:
        bump = ex_low + 1 if integral and float(ex_low).is_integer() else (math.floor(ex_low) + 1 if integral else ex_low + max(abs(ex_low) * 1e-9, 1e-6))
        low = bump if low is None else max(low, bump)
    if ex_high is not None:
        drop = ex_high - 1 if integral and float(ex_high).is_integer() else (math.ceil(ex_high) - 1 if integral else ex_high - max(abs(ex_high) * 1e-9, 1e-6))
        high = drop if high is None else min(high, drop)
    return low, high
