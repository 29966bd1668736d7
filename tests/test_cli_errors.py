"""The CLI's error contract across commands: the output location first, one line, escaped, exit codes.

Every command here gets a checkpoint that cannot load and a CSV that does not exist: if a command
did any data or model work before checking --out, the error would name those instead.
"""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from reportgen.cli import EXIT_INPUT, EXIT_USAGE, main, printable
from tests.edp import write_edp


@pytest.fixture()
def broken(tmp_path):
    """A checkpoint that would fail to load, a missing CSV, and a regular file to put --out under."""
    checkpoint = tmp_path / "checkpoint" / "model.safetensors"
    checkpoint.parent.mkdir()
    checkpoint.write_bytes(b"this is not a safetensors file")
    blocker = tmp_path / "a-file.txt"
    blocker.write_text("the user's", encoding="utf-8")
    return {"checkpoint": checkpoint, "csv": tmp_path / "missing.csv", "images": tmp_path, "blocker": blocker,
            "tmp": tmp_path}


def _model_args(broken):
    return ["--checkpoint", str(broken["checkpoint"]), "--tokenizer", str(broken["tmp"]), "--device", "cpu",
            "--data", str(broken["csv"]), "--images", str(broken["images"]), "--no-progress"]


def _invoke(args, **kwargs):
    return CliRunner().invoke(main, args, **kwargs)


def _one_error_line(result) -> str:
    assert isinstance(result.exception, SystemExit), result.exception  # no traceback
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


@pytest.mark.parametrize("command", ["predict", "analyze", "run"])
def test_out_under_a_file_is_reported_before_any_data_or_model_work(broken, command):
    out = broken["blocker"] / ("p.csv" if command == "predict" else "report")
    result = _invoke([command, *_model_args(broken), "--out", str(out)])
    assert result.exit_code == EXIT_INPUT
    line = _one_error_line(result)
    assert f"{broken['blocker']} is a file, not a folder" in line, line
    assert broken["blocker"].read_text(encoding="utf-8") == "the user's"


def test_render_checks_out_before_reading_results(broken):
    results = broken["tmp"] / "results.json"
    results.write_text("{not json", encoding="utf-8")
    result = _invoke(["render", str(results), "--out", str(broken["blocker"] / "r"), "--format", "html"])
    assert result.exit_code == EXIT_INPUT
    assert f"{broken['blocker']} is a file, not a folder" in _one_error_line(result)


def test_demo_checks_out_before_writing_the_corpus(broken):
    result = _invoke(["demo", "--out", str(broken["blocker"] / "demo"), "--no-progress"])
    assert result.exit_code == EXIT_INPUT
    assert f"{broken['blocker']} is a file, not a folder" in _one_error_line(result)
    assert sorted(p.name for p in broken["tmp"].iterdir()) == ["a-file.txt", "checkpoint"]


@pytest.mark.parametrize("command", ["analyze", "run"])
def test_unusable_source_date_epoch_is_one_line_before_model_work(broken, command, monkeypatch):
    # Regression: 99999999999999999999 raised OverflowError (a traceback), in `run` after the analysis.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "99999999999999999999")
    out = broken["tmp"] / "out"
    result = _invoke([command, *_model_args(broken), "--out", str(out)])
    assert result.exit_code == EXIT_INPUT
    assert "SOURCE_DATE_EPOCH='99999999999999999999' is out of range" in _one_error_line(result)
    assert not out.exists()


def test_render_with_unusable_source_date_epoch_is_one_line(tmp_path, monkeypatch):
    from reportgen.results.io import save_results
    from tests.results_fixture import make_results

    save_results(make_results(1, n_predictions=4), tmp_path / "results.json")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "99999999999999999999")
    result = _invoke(["render", str(tmp_path / "results.json"), "--out", str(tmp_path / "r"), "--format", "html"])
    assert result.exit_code == EXIT_INPUT
    assert "SOURCE_DATE_EPOCH" in _one_error_line(result)
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("args,message", [
    (["run", "--checkpoint", "/nonexistent"], "Invalid value for '--checkpoint': Path '/nonexistent' does not exist"),
    (["predict", "--no-such-option"], "No such option '--no-such-option'"),
    (["no-such-command"], "No such command 'no-such-command'"),
])
def test_usage_errors_are_one_line_with_exit_code_2(args, message):
    # Regression: Click printed the usage text and a "Try ... --help" line before the error.
    result = _invoke(args)
    assert result.exit_code == EXIT_USAGE
    line = _one_error_line(result)
    assert message in line and "--help" in line, line


def test_help_and_version_still_work():
    assert _invoke(["--help"]).exit_code == 0
    assert "reportgen" in _invoke(["--version"]).output
    bare = _invoke([])
    assert "Commands:" in bare.output  # a bare `reportgen` shows the help


def test_control_characters_in_messages_are_escaped(tmp_path):
    # A picture name with an OSC 8 hyperlink and a right-to-left override: printed raw, it would make the
    # terminal show a clickable fake link and reversed text.
    csv, pics = write_edp(tmp_path / "edp", n=2)
    evil = "\x1b]8;;http://evil.example\x07click\x1b]8;;\x07\u202egnp.png"
    frame = pd.read_csv(csv)
    frame.loc[0, "pics"] = evil
    frame.to_csv(csv, index=False)
    checkpoint = tmp_path / "model.safetensors"
    checkpoint.write_bytes(b"unused: the data is checked first")
    result = _invoke(["predict", "--checkpoint", str(checkpoint), "--data", str(csv), "--images", str(pics),
                      "--out", str(tmp_path / "p.csv"), "--no-progress"])
    assert result.exit_code == EXIT_INPUT
    line = _one_error_line(result)
    assert "\x1b" not in result.output and "\x07" not in result.output and "\u202e" not in result.output
    assert "\\x1b]8;;http://evil.example\\x07click\\x1b]8;;\\x07\\u202egnp.png" in line, line


def test_printable_keeps_ordinary_text_including_non_latin_scripts():
    text = "Row 3: привет 你好 ¡hola! naïve — tab\there"
    assert printable(text) == "Row 3: привет 你好 ¡hola! naïve — tab\\x09here"
