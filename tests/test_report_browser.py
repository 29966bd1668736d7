"""The HTML report in a real browser (Debian's headless chromium): it renders, and it makes no
network request even when the e-mails try to make it fetch something."""

from __future__ import annotations

import shutil
import subprocess
import warnings
from pathlib import Path

import pytest

from tests.test_report_security import RecordingServer, render_hostile, server  # noqa: F401 - fixture

warnings.filterwarnings("ignore", message="Glyph .* missing from font")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed (CI installs it: apt chromium)"),
]


def screenshot(page: Path, png: Path, profile: Path) -> subprocess.CompletedProcess:
    """Open ``page`` in headless chromium and save a 1280×2000 screenshot to ``png``."""
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile}", "--hide-scrollbars", "--virtual-time-budget=5000",
        f"--screenshot={png}", "--window-size=1280,2000", page.as_uri(),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_chromium_renders_the_report_without_any_request(server: RecordingServer, tmp_path: Path) -> None:  # noqa: F811
    written = render_hostile(tmp_path / "report", server.host, formats=("html",))
    png = tmp_path / "report.png"
    run = screenshot(written["html"], png, tmp_path / "profile")
    assert run.returncode == 0, run.stderr[-2000:]
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000, "screenshot missing or blank"
    assert server.requests == [], f"chromium requested {server.requests}"

    # Control: the same browser, on a page without our CSP, does reach the server; so the empty
    # list above means "no request", not "the server could not have seen one".
    control = tmp_path / "control.html"
    control.write_text(f'<html><body><img src="http://{server.host}/control.png"></body></html>', encoding="utf-8")
    screenshot(control, tmp_path / "control.png", tmp_path / "profile")
    assert "/control.png" in server.requests
