"""Contract and conformance test suite for the Anthropic API.

    from conformance import RunConfig, execute
    result = execute(RunConfig(base_url="http://127.0.0.1:8000", profile="compat-messages"))

The public API is curated here and in each package's `__init__` (contract, checks, server, engine,
suite, cassettes, reports, drift); modules whose names start with an underscore are private.
docs/architecture.md shows the layers.
"""

from typing import Any

from conformance.__about__ import __version__

_RUNNER = ("RunResult", "execute", "run")


def __getattr__(name: str) -> Any:
    # The runner loads pytest and the suite: only when asked for (the server needs neither).
    if name in _RUNNER:
        from conformance import _runner

        return getattr(_runner, name)
    if name == "RunConfig":
        from conformance.engine import RunConfig

        return RunConfig
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["RunConfig", "RunResult", "__version__", "execute", "run"]
