"""What every route handler reaches through `request.app.state.server`."""

from __future__ import annotations

from dataclasses import dataclass, field

from conformance.server._config import ServerConfig
from conformance.server._journal import Journal
from conformance.server._store import Store


@dataclass
class ServerState:
    config: ServerConfig
    store: Store
    journal: Journal = field(default_factory=lambda: Journal(0))
