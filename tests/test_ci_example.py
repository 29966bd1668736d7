"""examples/github-actions.yml: a valid workflow whose `reportgen run` works on the demo data as written,
and the closing lines `run` prints for CI logs."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.results_fixture import make_results

yaml = pytest.importorskip("yaml", reason="PyYAML is in the test extra: pip install -e '.[test]'")

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / "examples" / "github-actions.yml"


def _workflow() -> dict[str, Any]:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def _steps() -> list[dict[str, Any]]:
    return _workflow()["jobs"]["report"]["steps"]


def _reportgen_command() -> list[str]:
    """The `reportgen run …` command of the workflow as an argument list (continuation lines joined)."""
    scripts = [step["run"] for step in _steps() if "reportgen run" in step.get("run", "")]
    assert len(scripts) == 1
    return shlex.split(scripts[0].replace("\\\n", " "))


def test_workflow_is_valid_yaml_with_the_steps_ci_needs() -> None:
    workflow = _workflow()
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "push" in triggers
    job = workflow["jobs"]["report"]
    assert job["defaults"]["run"]["shell"] == "bash"  # GitHub runs it with -e -o pipefail
    steps = job["steps"]
    assert not any(step.get("continue-on-error") for step in steps)
    runs = [step.get("run", "") for step in steps]
    torch_step = next(i for i, run in enumerate(runs) if "torch==2.13.0" in run)
    install_step = next(i for i, run in enumerate(runs) if re.search(r"pip install reportgen\b", run))
    assert torch_step <= install_step and runs[torch_step].index("torch") < runs[install_step].index("reportgen")
    assert "fonts-wqy-microhei" in " ".join(runs)  # the fonts README "Fonts" asks for
    command = _reportgen_command()
    assert command[:2] == ["reportgen", "run"]
    assert command[command.index("--format") + 1] == "html,pdf,json" and "--deterministic" in command
    assert "--redact-paths" in command  # the uploaded artefact must not show the runner's folders
    upload = next(step for step in steps if step.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["with"]["path"].rstrip("/") == command[command.index("--out") + 1]
    assert upload["with"]["if-no-files-found"] == "error"


def _on_demo_data(command: list[str], tmp_path: Path) -> list[str]:
    """``command`` with the workflow's $VARIABLES set to the demo corpus and the shipped demo model."""
    from reportgen.demo.corpus import write_demo_corpus
    from reportgen.demo.pipeline import demo_assets

    assets = demo_assets()
    csv = write_demo_corpus(tmp_path / "demo-data", n=assets.corpus_size, seed=assets.corpus_seed)
    values = {"CHECKPOINT": assets.checkpoint, "TOKENIZER": assets.tokenizer, "DATA": csv,
              "IMAGES": csv.parent / "pics"}
    used = {name for arg in command for name in re.findall(r"^\$\{?(\w+)\}?$", arg)}
    assert used == set(values) == set(_workflow()["jobs"]["report"]["env"]) - {"HF_HUB_OFFLINE"}
    return [str(values[arg.strip("${}")]) if arg.startswith("$") else arg for arg in command]


@pytest.mark.slow
def test_workflow_command_works_on_the_demo_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only --checkpoint --tokenizer --data --images: the max length (64 positions here) is inferred."""
    from reportgen.cli import main
    from reportgen.results.io import load_results

    command = _on_demo_data(_reportgen_command(), tmp_path)
    assert "--max-length" not in command
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, command[1:], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = tmp_path / command[command.index("--out") + 1]
    published = sorted(p.name for p in report.iterdir() if not p.name.startswith("."))  # .reportgen-manifest.json
    assert published == ["report.html", "report.pdf", "results.json"]
    results = load_results(report / "results.json")
    assert len(results["predictions"]) == 200 and len(results["samples"]) == 6
    assert results["generator"]["paths_redacted"] is True
    folders = {str(tmp_path), str(Path(command[command.index("--checkpoint") + 1]).parent)}
    for name in ("results.json", "report.html"):  # the uploaded files name no folder of the runner
        text = (report / name).read_text(encoding="utf-8")
        assert not [folder for folder in folders if folder in text], name
    last = result.stdout.splitlines()[-1]
    assert last.startswith("done: 200 predictions (accuracy ") and last.endswith("/")
    assert Path(last.rsplit("; files in ", 1)[1]).resolve() == report.resolve()


def _report_lines(results: dict[str, Any], folder: Path, capsys: pytest.CaptureFixture[str]) -> tuple[list[str], str]:
    from reportgen.cli.analyze_cmd import _report

    _report(results, [folder / "results.json", folder / "report.html"])
    captured = capsys.readouterr()
    return captured.out.splitlines(), captured.err


def test_run_ends_with_the_files_and_a_one_line_verdict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = make_results(4, n_predictions=10)
    results["aggregate"]["warnings"] = ["1 row(s) skipped"]
    lines, err = _report_lines(results, tmp_path / "report", capsys)
    assert err == "warning: 1 row(s) skipped\n"
    assert lines[:2] == [f"wrote {tmp_path / 'report' / 'results.json'}", f"wrote {tmp_path / 'report' / 'report.html'}"]
    metrics = results["metrics"]
    results["aggregate"]["verdict"].update(leading="image", text_share=0.25, ci95=[0.18, 0.33], hedged=False)
    lines, _ = _report_lines(results, tmp_path / "report", capsys)
    # The verdict as the report's first page states it: the leading source with its interval.
    assert lines[2] == (
        f"done: 10 predictions (accuracy {100 * metrics['accuracy']:.1f} %, F1 {metrics['f1']:.3f} on 10 labelled), "
        f"4 explained; leading source: picture (text share 25 %, 95 % interval 18–33 %); "
        f"1 warning; files in {tmp_path / 'report'}/"
    )
    assert len(lines) == 3


def test_run_verdict_line_without_labels_or_samples(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = make_results(0, n_predictions=3)
    results["metrics"] = None
    results["aggregate"]["verdict"].update(leading="unclear", text_share=None, ci95=None, hedged=False)
    results["aggregate"]["warnings"] = []
    lines, _ = _report_lines(results, tmp_path, capsys)
    assert lines[-1] == f"done: 3 predictions (no labels), 0 explained; leading source: no clear lead; 0 warnings; " \
                        f"files in {tmp_path}/"
