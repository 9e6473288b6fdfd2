from __future__ import annotations

from typing import Iterable

from typing_extensions import Literal, Required, TypedDict

from .message_param import MessageParam

__all__ = ["MessageCreateParamsBase", "ThreadParam"]


class ThreadParam(TypedDict, total=False):
    id: Required[str]


_Keywords = TypedDict("_Keywords", {"from": Required[str]}, total=False)


class MessageCreateParamsBase(_Keywords, total=False):
    max_tokens: Required[int]

    model: Required[str]

    messages: Required[Iterable[MessageParam]]

    thread: ThreadParam

    user_profile_id: str

    service_tier: Literal["auto", "standard_only"]

    stop_sequences: Iterable[str]
