"""`reportgen render` is not silent: progress bars on stderr for the figures, the HTML and the PDF steps."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from reportgen.results.io import save_results
from tests.results_fixture import make_results


def _render(tmp_path: Path, *options: str) -> str:
    from reportgen.cli import main

    if not (tmp_path / "results.json").exists():
        save_results(make_results(2, n_predictions=4), tmp_path / "results.json")
    out = tmp_path / f"r{len(list(tmp_path.iterdir()))}"
    result = CliRunner().invoke(main, ["render", str(tmp_path / "results.json"), "--out", str(out), *options])
    assert result.exit_code == 0, result.output
    return result.stderr


def test_render_shows_progress_of_figures_html_and_pdf(tmp_path: Path) -> None:
    stderr = _render(tmp_path, "--format", "html,pdf")
    final = [part.strip() for part in stderr.replace("\r", "\n").splitlines() if part.strip()]
    assert any(line.startswith("drawing figures: 100%") and "2/2" in line for line in final)
    assert any(line.startswith("rendering: 100%") and "3/3" in line and "PDF file" in line for line in final)
    assert any("PDF layout" in line for line in final)  # the long step is named while it runs


def test_no_progress_keeps_stderr_quiet_and_html_only_has_one_step(tmp_path: Path) -> None:
    assert "drawing figures" not in _render(tmp_path, "--format", "html", "--no-progress")
    stderr = _render(tmp_path, "--format", "html")
    assert "rendering: 100%" in stderr and "1/1" in stderr and "PDF" not in stderr
