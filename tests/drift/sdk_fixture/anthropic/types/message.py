from typing import List, Optional

from pydantic import Field as FieldInfo

from .usage import Usage
from ._models import BaseModel
from .stop_reason import StopReason
from .content_block import ContentBlock

__all__ = ["Message"]


class Message(BaseModel):
    id: str

    content: List[ContentBlock]

    stop_reason: Optional[StopReason] = None

    usage: Usage

    from_: Optional[str] = FieldInfo(alias="from", default=None)
