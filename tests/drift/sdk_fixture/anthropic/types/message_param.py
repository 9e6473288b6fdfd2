from __future__ import annotations

from typing import Union, Iterable

from typing_extensions import Literal, Required, TypedDict

__all__ = ["MessageParam"]


class MessageParam(TypedDict, total=False):
    content: Required[Union[str, Iterable[object]]]

    role: Required[Literal["user", "assistant", "system"]]
