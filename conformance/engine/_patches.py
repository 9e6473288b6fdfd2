"""Two adjustments to the generation libraries, scoped to a run and undone after it. Each patches
one private function, says why, and does nothing when the function is gone (a new release): the
run is then as it would be without it (tests/engine/test_patches.py says so).

- `without_local_constants`: determinism. Hypothesis (6.13x and later) mixes the literals of the
  project's own loaded modules into generated values; which modules are loaded differs between
  runs (the embedded server imports parts of itself lazily, in its own thread) and between an
  editable and a wheel install: the same seed drew different requests.
- `memoized_fill_ins`: speed. Schemathesis's examples phase completes each schema example with
  generated values for the properties that have none, one Hypothesis run per property
  (`_generate_single_example`, seeded: the same schema always gives the same value). On this
  contract the same few hundred sub-schemas are filled in thousands of times (message blocks
  recur in createMessage, count_tokens and batch items): about a quarter of a default run.
  Remembering the value per schema gives the same requests in less time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any
from unittest import mock

_NOT_CACHED = object()


@contextmanager
def without_local_constants() -> Iterator[None]:
    """Generate without hypothesis's "local constants" (the module docstring says why)."""
    from hypothesis.internal.conjecture import providers

    if not hasattr(providers, "_get_local_constants") or not hasattr(providers, "Constants"):
        yield
        return
    empty = providers.Constants()  # type: ignore[attr-defined]
    providers.CONSTANTS_CACHE.cache.clear()  # pools computed before may hold local constants
    try:
        with mock.patch.object(providers, "_get_local_constants", lambda: empty):
            yield
    finally:
        providers.CONSTANTS_CACHE.cache.clear()


def _memoized(fill: Callable[..., Any], bundle_key: str) -> Callable[..., Any]:
    """`fill` remembered per schema. A schema to fill carries the operation's bundled definitions
    under `bundle_key` (large, and the same object for a whole operation): they are keyed once per
    object, by a digest, and the schema itself by its canonical JSON."""
    import jsonschema_rs

    canonical = jsonschema_rs.canonical.json.to_string
    cache: dict[tuple[str, str, Any, Any], Any] = {}
    bundles: dict[int, tuple[Any, str]] = {}  # id → (the bundle, kept alive so the id stays its own; digest)

    def digest(bundle: Any) -> str:
        known = bundles.get(id(bundle))
        if known is None or known[0] is not bundle:
            known = bundles[id(bundle)] = (bundle, hashlib.sha256(canonical(bundle).encode()).hexdigest())
        return known[1]

    def memoized_fill(schema: Any, config: Any, validator_cls: Any) -> Any:
        try:
            if isinstance(schema, dict) and bundle_key in schema:
                own = {k: v for k, v in schema.items() if k != bundle_key}
                key = (canonical(own), digest(schema[bundle_key]), config.allow_x00, config.codec)
            else:
                key = (canonical(schema), "", config.allow_x00, config.codec)
        except (TypeError, ValueError, AttributeError):  # not plain JSON: not worth a key
            return fill(schema, config, validator_cls)
        value = cache.get(key, _NOT_CACHED)
        if value is _NOT_CACHED:
            value = cache[key] = fill(schema, config, validator_cls)
        return value

    return memoized_fill


@contextmanager
def memoized_fill_ins() -> Iterator[None]:
    """Remember schemathesis's example fill-ins per schema for the run (the module docstring says why)."""
    from schemathesis.specs.openapi import examples

    fill = getattr(examples, "_generate_single_example", None)
    bundle_key = getattr(examples, "BUNDLE_STORAGE_KEY", None)
    if fill is None or not isinstance(bundle_key, str):
        yield
        return
    with mock.patch.object(examples, "_generate_single_example", _memoized(fill, bundle_key)):
        yield


@contextmanager
def generation_scope() -> Iterator[None]:
    """Both adjustments, for as long as a run generates."""
    with ExitStack() as stack:
        stack.enter_context(without_local_constants())
        stack.enter_context(memoized_fill_ins())
        yield
