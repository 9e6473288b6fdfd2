"""report.html: self-contained, every finding with its request, response and events, and a page
that headless Chromium renders into something (the matrix's colours are on the screenshot)."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conformance.reports._html import COLOURS
from tests.reports._png import colours
from tests.reports.conftest import Run

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class _Resources(HTMLParser):
    """Every URL the page would load: src/href of elements other than plain links."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href") and value and not (tag == "a" and value.startswith("#")):
                self.loads.append(f"{tag} {name}={value}")


def test_the_page_is_self_contained(broken_run: Run) -> None:
    page = _Resources()
    page.feed(broken_run.text("report.html"))
    assert page.loads == []  # no stylesheet, script, font or image from anywhere
    assert {"style", "script", "svg", "rect", "details"} <= set(page.tags)
    assert "@import" not in broken_run.text("report.html") and "url(" not in broken_run.text("report.html")


def test_each_finding_shows_its_request_response_and_events(broken_run: Run) -> None:
    html = broken_run.text("report.html")
    finding = next(f for f in broken_run.results["findings"] if f["check_id"] == "sse.event_line")
    block = html[html.index(f'id="f-{finding["id"]}"'):]
    block = block[:block.index("</details>")]
    assert 'data-severity="error"' in html and 'data-group="sse"' in block and "sse.event_line" in block
    assert "<b>Request</b> <code>POST http://127.0.0.1:" in block and "x-api-key</td><td>***</td>" in block
    assert "<b>Response</b> <code>200</code>" in block
    assert block.count("<td>(none)</td>") >= 5  # the stream's events, without event names: the break itself
    assert "&#34;type&#34;: &#34;message_start&#34;" in block or "&#34;type&#34;:&#34;message_start&#34;" in block
    assert "curl -X POST" in block and "Reproduce with:" in block


def test_the_matrix_is_a_picture_with_one_cell_per_operation_and_group(broken_run: Run) -> None:
    html = broken_run.text("report.html")
    results = broken_run.results
    cells = re.findall(r'<rect class="cell"[^>]*data-operation="([^"]*)" data-group="([^"]*)"', html)
    assert len(cells) == len(results["operations"]) * len(results["groups"])
    assert f'fill="{COLOURS["fail"]}" data-operation="createMessage" data-group="sse"' in html
    assert f'fill="{COLOURS["pass"]}" data-operation="listModels" data-group="schema"' in html


def test_server_text_is_escaped(broken_run: Run) -> None:
    from conformance.reports import to_html

    results = broken_run.results
    results["findings"][0]["message"] = "<script>alert(1)</script>"
    html = to_html(results)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (Debian: apt-get install chromium)")
def test_headless_chromium_renders_the_report(broken_run: Run, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--hide-scrollbars", f"--screenshot={shot}", "--window-size=1280,900",
               (broken_run.folder / "report.html").resolve().as_uri()]
    subprocess.run(command, check=True, capture_output=True, timeout=60)
    seen = colours(shot)
    assert len(seen) > 50, "the screenshot is (nearly) blank"
    for status in ("fail", "pass"):  # the matrix was drawn: its cells' colours are on the page
        assert bytes.fromhex(COLOURS[status][1:]) in seen, status
