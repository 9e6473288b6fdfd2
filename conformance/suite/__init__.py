"""The conformance suite as pytest tests: `pytest --pyargs conformance.suite [--conformance-...]`.

`conformance run` runs exactly this; pytest's own options pass through.
"""
