"""Contract and conformance test suite for the Anthropic API.

The public API is curated here; modules whose names start with an underscore are private.
"""

from conformance.__about__ import __version__

__all__ = ["__version__"]
