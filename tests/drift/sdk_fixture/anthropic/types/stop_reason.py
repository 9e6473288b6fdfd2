from typing_extensions import Literal, TypeAlias

__all__ = ["StopReason"]

StopReason: TypeAlias = Literal["end_turn", "max_tokens", "paused"]
