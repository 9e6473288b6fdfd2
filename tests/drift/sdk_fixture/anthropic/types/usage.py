from typing import Optional

from ._models import BaseModel

__all__ = ["Usage"]


class Usage(BaseModel):
    input_tokens: int

    output_tokens: int

    speed: Optional[str] = None
