"""Fixtures for the cassette tests: one small recorded run (createMessage, 2 examples per
operation, the run's key a canary) and its replay with the network off, shared by the round-trip,
mismatch and secret tests.

The recording runs under a profile that turns a warning into an error, so that the run fails
and prints reproducers: the canary test then searches failure output too.
"""

from __future__ import annotations

import io
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from conformance._runner import RunResult, execute
from conformance.engine import RunConfig

# Built at run time so no key-shaped literal sits in the repository (a secret scanner would rightly flag it).
CANARY = "sk-ant-" + "api03-CANARYcanary-4f7Qz9XlP2mW8rT6yB1nV5cK3dJ0hG_tests"
PROFILE = 'extends = "reference"\n[checks]\n"acceptance.valid_accepted" = "error"\n'
"""The reference profile, with a departure the small run always meets turned into an error."""


@dataclass
class Run:
    result: RunResult
    output: str
    """Everything the run printed (stdout and stderr)."""
    folder: Path
    """The run's working directory: cassettes and reports are under it."""
    options: RunConfig

    @property
    def cassettes(self) -> Path:
        return self.folder / "cassettes"


def run_in(folder: Path, options: RunConfig) -> Run:
    """`conformance run` in-process, from `folder`, capturing what it prints."""
    folder.mkdir(parents=True, exist_ok=True)
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, redirect_stdout(out), redirect_stderr(out):
        patch.chdir(folder)
        result = execute(options, out)
    return Run(result, out.getvalue(), folder, options)


@contextmanager
def network_off() -> Iterator[None]:
    """No socket connects, and no embedded server starts: what a replay must not need."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a replay tried to use the network or start the reference server")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", refuse)
        patch.setattr(socket.socket, "connect_ex", refuse)
        patch.setattr("conformance.server.serve_reference", refuse)
        yield


@pytest.fixture(scope="session")
def small_options(tmp_path_factory: pytest.TempPathFactory) -> RunConfig:
    profile = tmp_path_factory.mktemp("profile") / "canary.toml"
    profile.write_text(PROFILE)
    return RunConfig(api_key=CANARY, profile=str(profile), include=["createMessage"], max_examples=2,
                      cassette_dir="cassettes", report_dir="reports")


@pytest.fixture(scope="session")
def recorded(tmp_path_factory: pytest.TempPathFactory, small_options: RunConfig) -> Run:
    return run_in(tmp_path_factory.mktemp("recorded"), replace(small_options, record=True))


@pytest.fixture(scope="session")
def replayed(tmp_path_factory: pytest.TempPathFactory, recorded: Run) -> Run:
    folder = tmp_path_factory.mktemp("replayed")
    shutil.copytree(recorded.cassettes, folder / "cassettes")
    with network_off():
        return run_in(folder, replace(recorded.options, record=False, replay=True))


@pytest.fixture
def recording_copy(tmp_path: Path, recorded: Run) -> Path:
    """A private copy of the recorded cassettes, to break."""
    shutil.copytree(recorded.cassettes, tmp_path / "cassettes")
    return tmp_path
