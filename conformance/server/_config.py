"""Settings of the reference server (the `conformance serve` options)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ServerConfig:
    seed: int = 0
    """Varies the deterministic model's output; the same seed and request give the same response."""
    data_dir: Path | None = None
    """Keep state in SQLite under this folder across restarts; None keeps it in memory."""
    any_id: bool = False
    """Resolve unknown ids to synthesized, schema-valid objects (for Prism-style test suites)."""
    mock: bool = False
    """Mock mode (docs/clients.md): accept every request the contract's schemas accept (placeholder
    betas, models, ids and values), answering realistic data; implies `any_id`."""
    batch_delay: float = 0.0
    """Seconds a batch stays in_progress before it ends (0: it ends as soon as it is polled)."""
    max_file_bytes: int = 500 * 1024 * 1024
    """Upload size limit for /v1/files (the real API's 500 MB); larger uploads get 413."""
    max_request_bytes: int = 32 * 1024 * 1024
    """Body size limit for JSON endpoints (the real API's 32 MB); larger bodies get 413."""
    max_store_objects: int = 10_000
    """Bound on stored batches, files and skills kept in memory; the oldest are evicted first."""
    journal_size: int = 1000
    """Requests the journal keeps (the newest; 0 keeps none): GET /_conformance/journal."""

    def __post_init__(self) -> None:
        if self.mock:  # mock mode resolves any id: one flag for the client-test use case
            object.__setattr__(self, "any_id", True)
