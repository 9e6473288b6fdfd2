from typing_extensions import Literal

from ._models import BaseModel

__all__ = ["TextBlock"]


class TextBlock(BaseModel):
    text: str

    type: Literal["text"]

    signature: str
