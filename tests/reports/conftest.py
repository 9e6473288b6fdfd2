"""Two real runs whose reports the tests read: the reference server on a focused run (clean), and a
server whose streams lose their `event:` lines (one departure, on a stream), both with a canary
API key that must appear in no report."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conformance._runner import RunResult, execute
from conformance.engine import RunConfig
from conformance.server import serve_app
from tests.engine.broken import CASES

# Built at run time so no key-shaped literal sits in the repository (a secret scanner would rightly flag it).
CANARY = "sk-ant-" + "api03-canary-9f8e7d6c5b4a3f2e1d0c-reports-must-never-hold-this"
MODELS = ["listModels", "getModel"]
# createMessage through two semantic requests (one streamed), the models through everything.
BROKEN_TESTS = "(test_semantics and max_tokens) or test_models_pagination or (test_operation and (listModels or getModel))"


@dataclass
class Run:
    result: RunResult
    folder: Path
    out: str

    @property
    def results(self) -> dict[str, Any]:
        return json.loads((self.folder / "results.json").read_text(encoding="utf-8"))

    def text(self, name: str) -> str:
        return (self.folder / name).read_text(encoding="utf-8")


def run_into(folder: Path, **options: Any) -> Run:
    out = io.StringIO()
    result = execute(RunConfig(api_key=CANARY, report_dir=str(folder), **options), out)
    return Run(result, folder, out.getvalue())


@pytest.fixture(scope="session")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return run_into(tmp_path_factory.mktemp("clean"), include=MODELS)


@pytest.fixture(scope="session")
def broken_url() -> Iterator[str]:
    with serve_app(CASES["data-only frames"].factory(), name="reports-broken-target") as url:
        yield url


def broken_options(url: str, **extra: Any) -> dict[str, Any]:
    return {"base_url": url, "profile": "reference", "include": ["createMessage", *MODELS], "max_examples": 2,
            "pytest_args": ["-k", BROKEN_TESTS], **extra}


@pytest.fixture(scope="session")
def broken_run(tmp_path_factory: pytest.TempPathFactory, broken_url: str) -> Run:
    return run_into(tmp_path_factory.mktemp("broken"), **broken_options(broken_url))
