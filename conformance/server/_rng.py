"""A small seeded PRNG (splitmix64) and the request hash that seeds it.

Written out rather than taken from `random.Random` so the model's output cannot change with the
Python version or platform: the same request and seed give the same bytes everywhere.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
_MASK = (1 << 64) - 1
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


class Rng:
    __slots__ = ("_state",)

    def __init__(self, seed: int) -> None:
        self._state = seed & _MASK

    def next64(self) -> int:
        self._state = (self._state + 0x9E3779B97F4A7C15) & _MASK
        z = self._state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        return z ^ (z >> 31)

    def below(self, n: int) -> int:
        """An int in [0, n); the modulo bias is irrelevant at these sizes."""
        return self.next64() % n if n > 0 else 0

    def between(self, low: int, high: int) -> int:
        """An int in [low, high], both included."""
        return low + self.below(high - low + 1) if high > low else low

    def chance(self, p: float) -> bool:
        return self.next64() < p * 18446744073709551616.0

    def unit(self) -> float:
        return (self.next64() >> 11) / 9007199254740992.0

    def choice(self, items: Sequence[T]) -> T:
        return items[self.below(len(items))]

    def ident(self, length: int = 22) -> str:
        """Base58 characters, the alphabet of the API's ids (`msg_01…`, `toolu_01…`)."""
        n = 0
        for _ in range((length * 6 + 63) // 64):  # 58 < 2**6: 6 bits of randomness per character suffice
            n = (n << 64) | self.next64()
        chars = []
        for _ in range(length):
            n, digit = divmod(n, 58)
            chars.append(_BASE58[digit])
        return "".join(chars)


OUTPUT_LIMITS = frozenset({"stream", "max_tokens", "stop_sequences", "max_tokens_to_sample"})
"""Left out of the seed: streaming or not gives the same reply, and a smaller max_tokens or an
added stop sequence cuts that same reply shorter instead of producing another one."""


def request_seed(params: Mapping[str, Any], seed: int, *, salt: str = "") -> int:
    """A 64-bit seed from the request (minus `OUTPUT_LIMITS`) and the server's `--seed`:
    canonical JSON hashed with SHA-256."""
    canonical = json.dumps(
        {k: v for k, v in params.items() if k not in OUTPUT_LIMITS}, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    digest = hashlib.sha256(f"{salt}|{seed}|{canonical}".encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big")
