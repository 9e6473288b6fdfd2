from typing import Union
from typing_extensions import Annotated, TypeAlias

from ._models import UnionDiscriminator
from .text_block import TextBlock
from .gadget_block import GadgetBlock

__all__ = ["ContentBlock"]

ContentBlock: TypeAlias = Annotated[Union[TextBlock, GadgetBlock], UnionDiscriminator("type")]
