"""`--config FILE`: a CI job keeps its settings in a TOML file; the command line still wins."""

from __future__ import annotations

import pandas as pd

from tests.test_predict_cli import _run, project  # noqa: F401 (pytest fixture)


def _without(args: list[str], option: str) -> list[str]:
    at = args.index(option)
    return args[:at] + args[at + 2:]


def test_config_file_supplies_options_and_the_command_line_wins(project, tmp_path):  # noqa: F811
    config = tmp_path / "reportgen.toml"
    # Top-level keys apply to every command, a [predict] table to predict only; dashes or underscores.
    config.write_text('batch-size = 2\n[predict]\nrows = "1,3"\nmax_length = 24\n')
    args = _without(project["args"], "--max-length")
    out = tmp_path / "from-config.csv"
    result = _run(args + ["--config", str(config), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out)["row"].tolist() == [1, 3]

    out2 = tmp_path / "command-line-wins.csv"
    result = _run(args + ["--config", str(config), "--rows", "2", "--out", str(out2)])
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out2)["row"].tolist() == [2]


def test_config_file_with_an_unknown_option_is_one_line(project, tmp_path):  # noqa: F811
    config = tmp_path / "bad.toml"
    config.write_text("ig-stepz = 3\n")
    result = _run(project["args"] + ["--config", str(config), "--out", str(tmp_path / "p.csv")])
    assert result.exit_code == 2
    assert "unknown option 'ig_stepz'" in result.output
    assert not (tmp_path / "p.csv").exists()
