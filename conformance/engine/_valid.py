"""Generated requests kept within what the API answers, where generation (or a cost cap) left them.

A valid case is meant to test what the target does with a request it should accept. A thinking
budget left above a lowered `max_tokens`, or a model name no target routes, makes a request the
API rejects: it tests nothing, and the meaning checks would judge an answer that means nothing.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

from conformance.contract import keep_thinking_valid


def keep_valid(body: dict[str, Any], models: Sequence[str] = ()) -> None:
    """Keep a valid request body valid: thinking within max_tokens; a model among `models` (the
    contract allows any model name, so a target is tested on a model it serves; the same
    generated name maps to the same model). The run passes its own model: a target may list
    models that exist to fail (a mock's fault scenarios), and a gateway routes the one asked for."""
    keep_thinking_valid(body)
    model = body.get("model")
    if models and isinstance(model, str) and model not in models:
        body["model"] = models[zlib.crc32(model.encode("utf-8", "surrogatepass")) % len(models)]
