"""``reportgen analyze`` (→ results.json) and ``reportgen run`` (analyze, then render the report).

Both share the model/data options of :mod:`reportgen.cli.options` and the analysis options defined
once here (:data:`analysis_options`). Output is all-or-nothing and checked first
(:mod:`reportgen.output`): ``--out`` is checked before any model work, everything is written into a
staging folder next to it and moved in only when every step succeeded.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from reportgen.cli.options import (
    analysis_options, command_line, config_option, data_options, format_option, model_options, output_options,
)


def _output_names(formats: tuple[str, ...], export_assets: bool) -> list[str]:
    """The entries of ``--out`` that this run writes."""
    from reportgen.report.assets import ASSETS_DIRNAME
    from reportgen.report.render import FILENAMES

    return [FILENAMES[f] for f in formats] + ([ASSETS_DIRNAME] if export_assets else [])


def _analyze_and_write(ctx: click.Context, options: dict[str, Any], formats: tuple[str, ...],
                       export_assets: bool) -> None:
    """Check ``--out``, load inputs, run the analysis, write the outputs (all or nothing) and list them."""
    from reportgen.output import prepare_output_folder
    from reportgen.results.io import timestamp

    progress = options["progress"]
    out = Path(options["out"])
    deterministic = options["deterministic"]
    # Before any model work: where the outputs go (and whether they may be replaced), SOURCE_DATE_EPOCH.
    with prepare_output_folder(out, _output_names(formats, export_assets)) as output:
        timestamp(deterministic)
        from reportgen.analysis.pipeline import run_analysis
        from reportgen.cli.options import load_inputs
        from reportgen.options import AnalysisOptions

        analysis_options = AnalysisOptions.from_kwargs(options)
        inputs = load_inputs(**options)
        results = run_analysis(inputs, analysis_options, command=command_line(ctx), progress=progress)
        if options["redact_paths"]:
            from reportgen.results.redact import redact_paths

            results = redact_paths(results)
        _write_outputs(results, output.staging, formats, deterministic=deterministic, export_assets=export_assets,
                       progress=progress)
        written = output.publish()
    _report(results, written)


def _write_outputs(results: dict[str, Any], folder: Path, formats: tuple[str, ...], *, deterministic: bool,
                   export_assets: bool, progress: bool = False) -> None:
    """Write results.json and the rendered formats into ``folder`` (the staging folder)."""
    from reportgen.results.io import save_results

    if "json" in formats:
        save_results(results, folder / "results.json")
    rendered = tuple(f for f in formats if f != "json")
    if rendered or export_assets:
        from reportgen.report.render import render_report

        render_report(results, folder, rendered, deterministic=deterministic, export_assets=export_assets,
                      progress=progress)


@click.command("analyze")
@config_option
@model_options
@data_options
@analysis_options
@output_options()
@click.pass_context
def analyze_command(ctx: click.Context, **options: Any) -> None:
    """Predict every selected e-mail, explain the chosen samples and write OUT/results.json.

    Scores explain the spam log-odds (logit_spam - logit_ham): positive pushes toward spam. Every
    prediction gets its exact two-player Shapley split between text and picture, which the verdict
    rests on. Each explained e-mail also gets Integrated Gradients (words and picture patches, a
    check on the Shapley split), attention maps (where the model looked, not why) and, unless
    --no-faithfulness, occlusion and deletion checks. --seed also seeds the sample draw.
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
    """Analyze, then render the report: OUT/results.json, OUT/report.html, OUT/report.pdf.

    Same options as `analyze`, plus --format and --export-assets. Nothing is written unless every
    requested output succeeded.
    """
    _analyze_and_write(ctx, options, formats, export_assets)


def _report(results: dict[str, Any], written: list[Path]) -> None:
    """Warnings (stderr), the files written, then one closing line for CI logs: where, how good, verdict."""
    from reportgen.cli import printable

    aggregate = results["aggregate"]
    for warning in aggregate["warnings"]:  # may quote picture names: escaped
        click.echo(f"warning: {printable(warning)}", err=True)
    for path in written:
        click.echo(f"wrote {printable(str(path))}")
    metrics = results["metrics"]
    quality = (f"accuracy {100 * metrics['accuracy']:.1f} %, F1 {metrics['f1']:.3f} on {metrics['n']} labelled"
               if metrics else "no labels")
    verdict = aggregate["verdict"]
    # The verdict in one word with its interval, as the report's first page states it.
    share = ("" if verdict["text_share"] is None or not verdict["ci95"] else
             f" (text share {100 * verdict['text_share']:.0f} %, 95 % interval {100 * verdict['ci95'][0]:.0f}–"
             f"{100 * verdict['ci95'][1]:.0f} %{', uncertain' if verdict['hedged'] else ''})")
    leading = {"image": "picture", "unclear": "no clear lead"}.get(verdict["leading"], verdict["leading"])
    warnings = len(aggregate["warnings"])
    folder = printable(str(written[0].parent)) if written else "."
    click.echo(f"done: {len(results['predictions'])} predictions ({quality}), {len(results['samples'])} explained; "
               f"leading source: {leading}{share}; {warnings} warning{'' if warnings == 1 else 's'}; "
               f"files in {folder}{os.sep}")
