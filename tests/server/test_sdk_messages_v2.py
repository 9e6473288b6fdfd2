"""The anthropic SDK 2.x (httpx2, API version 2026-10-21) drives every operation it has against the
reference server, and every exchange passes the contract's strict view.

SDK 2.x cannot share a process with the project's SDK 0.x, so it lives in `.sdk2/` (a
`pip install --target .sdk2 "anthropic>=2,<3"`, git-ignored) and runs test_sdk_messages.py and
test_sdk_v2_surface.py in a subprocess with `.sdk2/` first on the path, against a server this test
serves behind a journal. The journal's exchanges are then judged by the schema, errors and SSE
checks with the 2026-10-21 view of the contract: not one finding, warnings included. It skips when
`.sdk2/` is absent.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import pytest

from conformance._exchange import Exchange, Request, Response
from conformance.checks import CheckContext, run_checks
from conformance.contract import load_contract
from conformance.server import create_app, serve_app
from tests.engine.broken import Broken, Call, Reply
from tests.server.conftest import EXTERNAL_URL_ENV

ROOT = Path(__file__).resolve().parents[2]
SDK2 = ROOT / ".sdk2"
VERSION = "2026-10-21"
SDK_TESTS = ("tests/server/test_sdk_messages.py", "tests/server/test_sdk_v2_surface.py")
NOT_IN_SDK_2 = {"createCompletion"}  # /v1/complete left the SDK in 1.0


def exchange(call: Call, reply: Reply) -> Exchange:
    query = urlencode(call.query, doseq=True)
    url = f"http://127.0.0.1{call.path}{'?' + query if query else ''}"
    return Exchange(Request(call.method, url, dict(call.headers), call.body), Response(reply.status, reply.headers, reply.body))


def test_sdk_2x_drives_every_operation_and_passes_the_strict_view() -> None:
    if not (SDK2 / "anthropic").is_dir():
        pytest.skip(f"{SDK2} is absent: pip install --target .sdk2 'anthropic>=2,<3'")
    journal: list[tuple[Call, Reply]] = []
    app = Broken(create_app(), response=lambda call, reply: journal.append((call, reply)) or reply)
    with serve_app(app, name="sdk2-target") as url:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SDK2), str(ROOT)]), EXTERNAL_URL_ENV: url}
        probe = subprocess.run([sys.executable, "-c", "import anthropic; print(anthropic.__version__)"], env=env,
                               capture_output=True, text=True, timeout=60)
        assert probe.returncode == 0 and probe.stdout.startswith("2."), probe.stdout + probe.stderr
        result = subprocess.run(
            [sys.executable, "-m", "pytest", *(str(ROOT / t) for t in SDK_TESTS), "-q", "-p", "no:cacheprovider",
             "-W", "error::DeprecationWarning:tests.server.test_sdk_messages"],
            env=env, cwd=ROOT, capture_output=True, text=True, timeout=300,
        )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    # Everything ran but the legacy completions test (no /v1/complete in SDK 2.x).
    assert " passed" in result.stdout and " failed" not in result.stdout and " 1 skipped" in result.stdout

    contract = load_contract().for_version(VERSION)
    exchanges = [exchange(call, reply) for call, reply in journal]
    assert {ex.request.headers.get("anthropic-version") for ex in exchanges} == {VERSION}
    reached = {op.operation_id for ex in exchanges if (op := contract.match(ex.request.method, ex.request.path))}
    assert reached == {op.operation_id for op in contract.operations} - NOT_IN_SDK_2
    findings = [
        (ex.request.method, ex.request.path, f.check_id, f.message)
        for ex in exchanges
        for f in run_checks(ex, CheckContext(contract=contract), select=lambda info: info.group in ("schema", "errors", "sse"))
    ]
    assert findings == []
