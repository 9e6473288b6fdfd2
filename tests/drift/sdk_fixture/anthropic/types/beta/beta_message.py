from typing import List

from .._models import BaseModel
from ..content_block import ContentBlock

__all__ = ["BetaMessage"]


class BetaMessage(BaseModel):
    id: str

    content: List[ContentBlock]

    beta_only: str
