from typing_extensions import Literal

from ._models import BaseModel

__all__ = ["GadgetBlock"]


class GadgetBlock(BaseModel):
    gadget: str

    type: Literal["gadget"]
