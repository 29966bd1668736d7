"""``reportgen analyze`` (→ results.json) and ``reportgen run`` (analyze, then render the report).

Both share the model/data options of :mod:`reportgen.cli.options` and the analysis options defined
once here (:data:`analysis_options`). Output is all-or-nothing: everything is written into a
temporary folder next to ``--out`` and moved in only when every step succeeded.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import click

from reportgen.cli.options import (
    analysis_options, command_line, config_option, data_options, format_option, model_options, output_options,
)


def _analyze_and_write(ctx: click.Context, options: dict[str, Any], formats: tuple[str, ...],
                       export_assets: bool) -> None:
    """Load inputs, run the analysis, write the outputs into ``--out`` (all or nothing) and list them."""
    from reportgen.analysis.pipeline import run_analysis
    from reportgen.cli.options import load_inputs
    from reportgen.options import AnalysisOptions

    progress = options["progress"]
    out = Path(options["out"])
    deterministic = options["deterministic"]
    analysis_options = AnalysisOptions.from_kwargs(options)
    inputs = load_inputs(**options)
    results = run_analysis(inputs, analysis_options, command=command_line(ctx), progress=progress)
    written = _write_outputs(results, out, formats, deterministic=deterministic, export_assets=export_assets)
    _report(results, written)


def _publish(staging: Path, out: Path) -> list[Path]:
    """Move everything from ``staging`` into ``out`` (replacing same-named entries)."""
    out.mkdir(parents=True, exist_ok=True)
    # Temporary files are created private (0600); published outputs get the user's usual permissions.
    umask = os.umask(0)
    os.umask(umask)
    moved = []
    for entry in sorted(staging.iterdir()):
        for path in [entry, *entry.rglob("*")] if entry.is_dir() else [entry]:
            path.chmod((0o777 if path.is_dir() else 0o666) & ~umask)
        target = out / entry.name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        entry.replace(target)
        moved.append(target)
    return moved


def _write_outputs(results: dict[str, Any], out: Path, formats: tuple[str, ...], *, deterministic: bool,
                   export_assets: bool) -> list[Path]:
    """Write results.json and the rendered formats into ``out``, all or nothing."""
    from reportgen.results.io import save_results

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        if "json" in formats:
            save_results(results, staging / "results.json")
        rendered = tuple(f for f in formats if f != "json")
        if rendered or export_assets:
            from reportgen.render import render_report

            render_report(results, staging, rendered, deterministic=deterministic, export_assets=export_assets)
        return _publish(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@click.command("analyze")
@config_option
@model_options
@data_options
@analysis_options
@output_options()
@click.pass_context
def analyze_command(ctx: click.Context, **options: Any) -> None:
    """Predict every selected e-mail, explain the chosen samples and write OUT/results.json.

    Scores explain the spam log-odds (logit_spam - logit_ham): positive pushes toward spam. Each
    explained e-mail gets Integrated Gradients (words and picture patches), attention maps and
    three modality estimates (IG split, exact two-player Shapley, fusion attention). The --seed
    option also seeds the sample draw.
    """
    _analyze_and_write(ctx, options, ("json",), export_assets=False)


@click.command("run")
@config_option
@model_options
@data_options
@analysis_options
@output_options()
@format_option()
@click.option(
    "--export-assets", is_flag=True, default=False,
    help="Also write every figure and table to OUT/assets/ (SVG, PDF, CSV, LaTeX) for papers.",
)
@click.pass_context
def run_command(ctx: click.Context, formats: tuple[str, ...], export_assets: bool, **options: Any) -> None:
    """analyze, then render the report: OUT/results.json, OUT/report.html, OUT/report.pdf.

    Same options as `analyze`, plus --format and --export-assets. Nothing is written unless every
    requested output succeeded.
    """
    _analyze_and_write(ctx, options, formats, export_assets)


def _report(results: dict[str, Any], written: list[Path]) -> None:
    for warning in results["aggregate"]["warnings"]:
        click.echo(f"warning: {warning}", err=True)
    verdict = results["aggregate"]["modality"]["verdict"]
    click.echo(f"{len(results['predictions'])} predictions, {len(results['samples'])} explained sample(s); "
               f"verdict: {verdict['label']}")
    for path in written:
        click.echo(f"wrote {path}")
