"""Cassettes: reading recorded traffic (vcrpy, pytest-recording, Ruby VCR, HAR) into exchanges."""

from conformance.cassettes._read import CassetteError, read_exchanges

__all__ = ["CassetteError", "read_exchanges"]
