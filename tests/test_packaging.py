"""The installed package is what users get: it must carry templates, CSS and the schema, and the
README's commands must be the ones CI runs."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    """The shell commands in the README's ```bash blocks of the Quick start."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```bash\n(.+?)\n```", text, flags=re.S)


def test_ci_runs_the_readme_test_command() -> None:
    commands = _readme_commands()
    test_commands = [c for c in commands if "pytest" in c]
    assert test_commands, "README has no test command"
    assert test_commands[0].strip() in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_readme_first_command_sets_up_and_runs_the_demo() -> None:
    first = _readme_commands()[0]
    assert "pip install" in first and "reportgen demo" in first


def test_help_lists_every_command_without_importing_torch() -> None:
    code = (
        "import sys; from reportgen.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    for command in ("inspect", "predict", "analyze", "run", "render", "demo"):
        assert re.search(rf"^\s+{command}\s", out, flags=re.M), f"{command} missing from --help"
    assert out.strip().endswith("NO-TORCH")


def test_every_command_has_help() -> None:
    from reportgen.cli import main

    runner = CliRunner()
    for command in main.list_commands(None):  # type: ignore[arg-type]
        result = runner.invoke(main, [command, "--help"])
        assert result.exit_code == 0, (command, result.output)
        assert "Usage:" in result.output


def test_wheel_carries_templates_static_and_schema(tmp_path: Path) -> None:
    builders = pytest.importorskip("hatchling.builders.wheel", reason="hatchling builds the wheel")
    wheel = next(builders.WheelBuilder(str(ROOT)).build(directory=str(tmp_path), versions=["standard"]))
    names = zipfile.ZipFile(wheel).namelist()
    assert "reportgen/results/schema/results.schema.json" in names
    assert any(n.startswith("reportgen/report/templates/") and n.endswith(".html") for n in names)
    assert any(n.startswith("reportgen/report/static/") and n.endswith(".css") for n in names)


@pytest.mark.slow
def test_python_example_writes_a_report(tmp_path: Path) -> None:
    # The example in examples/ is documentation users copy: it must keep working with the API.
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "explain_from_python.py")], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600, env={"HF_HUB_OFFLINE": "1", "PATH": ""})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "leading source:" in proc.stdout and "log-odds from" in proc.stdout
    assert (tmp_path / "example-report" / "report.html").stat().st_size > 10_000
    assert (tmp_path / "example-report" / "report.pdf").read_bytes().startswith(b"%PDF")
