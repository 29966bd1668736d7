"""E-mail content is attacker-controlled: it must reach the reader as text, and rendering must make
no network request (WeasyPrint here; headless Chromium in test_report_browser.py)."""

from __future__ import annotations

import http.server
import threading
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from reportgen.report.render import render_report
from tests.results_fixture import HOSTILE_STRINGS, make_results
from tests.test_render import parse

warnings.filterwarnings("ignore", message="Glyph .* missing from font")


class RecordingServer:
    """An HTTP server on 127.0.0.1 that records every request path (and answers 404)."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        requests = self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's API
                requests.append(self.path)
                self.send_response(404)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> RecordingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture()
def server() -> Iterator[RecordingServer]:
    with RecordingServer() as recording:
        # Positive control: the server does see a request when one is made.
        try:
            urllib.request.urlopen(f"http://{recording.host}/control", timeout=5)
        except urllib.error.HTTPError:
            pass
        assert recording.requests == ["/control"]
        recording.requests.clear()
        yield recording


def hostile_attacks(host: str) -> list[str]:
    """The attack strings as they appear in a fixture pointing at ``host``."""
    return [a.replace("evil.invalid", host) for a in HOSTILE_STRINGS]


def render_hostile(out: Path, host: str, formats: tuple[str, ...] = ("html", "pdf")) -> dict[str, Path]:
    """Render a hostile fixture whose URLs all point at ``host``."""
    return render_report(make_results(2, hostile=True, n_predictions=6, evil_host=host), out, formats)


def test_hostile_emails_are_text_and_nothing_is_fetched(server: RecordingServer, tmp_path: Path) -> None:
    written = render_hostile(tmp_path, server.host)
    html = written["html"].read_text(encoding="utf-8")
    page = parse(html)
    text = " ".join(page.text)
    for attack in hostile_attacks(server.host):
        assert attack in text, f"{attack!r} is not shown as text"
    # Escaped, not live: no element came from the e-mails.
    assert "<script>" not in html and "<style>body" not in html and "<img src=http" not in html
    assert not any(tag == "script" for tag, _ in page.tags)
    assert sum(tag == "style" for tag, _ in page.tags) == 1, "only the report's own stylesheet"
    for tag, attributes in page.tags:
        for name, value in attributes.items():
            assert "javascript:" not in value.lower(), f"<{tag} {name}={value[:50]!r}>"
            if name in ("src", "href"):
                assert value.startswith(("data:", "#"))
    assert html.count("&lt;script&gt;") >= 3
    # Jinja syntax in an e-mail is not evaluated.
    assert "{{ 7*7 }}" in text and "{% raw %}" in text

    from pypdf import PdfReader

    pdf_text = "\n".join(p.extract_text() for p in PdfReader(str(written["pdf"])).pages)
    assert "<script>alert(1)</script>" in pdf_text
    assert "{{ 7*7 }}" in pdf_text
    assert server.requests == [], f"rendering requested {server.requests}"
