"""The conformance suite as pytest tests: `pytest --pyargs conformance.suite [--conformance-...]`.

`conformance run` runs exactly this; pytest's own options pass through. The plugin object that
holds a run's state is `plugin_of(pytest_config)`.
"""

from conformance.suite.plugin import ConformancePlugin, plugin_of

__all__ = ["ConformancePlugin", "plugin_of"]
