"""reportgen's command line.

Each command lives in its own module under ``reportgen.cli`` and is imported only when it runs, so
``reportgen --help`` is instant (torch and WeasyPrint are heavy). Command bodies stay thin: they
parse options and call library functions.
"""

from __future__ import annotations

import importlib
import importlib.util

import click

from reportgen import __version__
from reportgen.errors import ReportgenError

# command name -> "module:attribute"
_COMMANDS = {
    "inspect": "reportgen.cli.inspect_cmd:inspect_command",
    "predict": "reportgen.cli.predict_cmd:predict_command",
    "analyze": "reportgen.cli.analyze_cmd:analyze_command",
    "run": "reportgen.cli.analyze_cmd:run_command",
    "render": "reportgen.cli.render_cmd:render_command",
    "demo": "reportgen.cli.demo_cmd:demo_command",
}

_SHORT_HELP = {
    "inspect": "Show a checkpoint's inferred architecture, size, sha256 and key diagnostics.",
    "predict": "Predict ham/spam for every selected row and write a CSV.",
    "analyze": "Predict, then explain selected samples; writes results.json.",
    "run": "analyze, then render the report (json, html, pdf).",
    "render": "Render report.html / report.pdf from an existing results.json (no model needed).",
    "demo": "Build the bundled multilingual demo corpus and model and write the full report.",
}


class _LazyGroup(click.Group):
    """A group whose commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in _COMMANDS if self._available(name)]

    @staticmethod
    def _available(name: str) -> bool:
        module_name = _COMMANDS[name].split(":")[0]
        return importlib.util.find_spec(module_name) is not None

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in _COMMANDS or not self._available(name):
            return None
        module_name, attribute = _COMMANDS[name].split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        command.short_help = _SHORT_HELP[name]
        return command

    def invoke(self, ctx: click.Context) -> object:
        # The library raises plain ReportgenErrors; here, at the boundary, they become Click's
        # one-line "Error: …" with their exit code.
        try:
            return super().invoke(ctx)
        except ReportgenError as error:
            exception = click.ClickException(error.message)
            exception.exit_code = error.exit_code
            raise exception from None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Listing help must not import torch: use the static short help.
        rows = [(name, _SHORT_HELP[name]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="reportgen")
def main() -> None:
    """Explainability reports (HTML, PDF, results.json) for multimodal text+image classifiers.

    First target: MMTD, the multilingual e-mail spam detector that fuses a BERT text encoder with a
    DiT/BEiT encoder of a picture of the e-mail. Start with `reportgen demo --out DIR`.
    """
