"""Every command's --help reads as a user needs it: true about the demo, no dead options, no "(s)"."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from reportgen.cli import main

COMMANDS = ("inspect", "predict", "analyze", "run", "render", "demo")


def _help(*args: str) -> str:
    result = CliRunner().invoke(main, [*args, "--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())  # Click wraps lines: compare words, not layout


def test_top_level_help_says_the_demo_model_is_shipped_not_built():
    text = _help()
    assert "shipped" in text and "nothing is trained or downloaded" in text
    assert not re.search(r"\bbuild\w*\b[^.]*\bmodel\b", text, re.IGNORECASE)
    for command in COMMANDS:
        assert f" {command} " in text


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_help_starts_with_a_capital_and_has_no_s_in_brackets(command):
    text = _help(command)
    description = text.split("]", 1)[1].split("Options:", 1)[0].strip()  # after "Usage: ... [OPTIONS]"
    assert description[:1].isupper(), description
    assert "(s)" not in text


def test_predict_offers_no_option_that_would_do_nothing():
    # Its CSV has no timestamp and no path: --deterministic and --redact-paths would be silent no-ops.
    text = _help("predict")
    assert "--deterministic" not in text and "--redact-paths" not in text
    for command in ("analyze", "run", "render", "demo"):
        assert "--redact-paths" in _help(command)


def test_max_length_help_says_how_the_default_is_inferred_and_recorded():
    text = _help("run")
    assert "min(256 = MMTD's training length, the checkpoint's text positions, the tokenizer's " \
           "model_max_length)" in text
    assert "given or inferred" in text
