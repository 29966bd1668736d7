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

# _apply stacks a list of click options into one decorator (shared with the model/data options).
from reportgen.cli.options import _apply, command_line, data_options, format_list, model_options
from reportgen.errors import ReportgenError

#: Captum's integration methods for Integrated Gradients (as reportgen.attribution.IG_METHODS; literal
#: here so that `--help` does not import torch).
IG_METHODS = ("gausslegendre", "riemann_trapezoid", "riemann_middle", "riemann_left", "riemann_right")
#: The keyword arguments that belong to the analysis (the rest go to ``load_inputs``).
_ANALYSIS_KEYS = (
    "samples", "explain_rows", "misclassified", "least_confident", "most_confident", "ig_steps", "ig_method",
    "image_baseline", "internal_batch_size", "attention_layer", "attention_head", "top_k", "min_count",
    "deterministic",
)


def _samples(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    from reportgen.sampling import parse_samples

    try:
        n_spam, n_ham = parse_samples(value)
    except ReportgenError as error:
        raise click.BadParameter(error.message) from None
    return f"{n_spam}:{n_ham}"


def _rows(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[int, ...] | None:
    if value is None:
        return None
    parts = [p.strip() for p in value.split(",") if p.strip()]
    if not parts or not all(p.isdigit() for p in parts):
        raise click.BadParameter(f"{value!r}: expected 0-based CSV data rows, e.g. 3,17")
    return tuple(dict.fromkeys(int(p) for p in parts))


def _head(ctx: click.Context, param: click.Parameter, value: str) -> int | None:
    if value == "mean":
        return None
    try:
        head = int(value)
    except ValueError:
        raise click.BadParameter(f"{value!r}: expected a head number (0-based) or 'mean'") from None
    if head < 0:
        raise click.BadParameter(f"{value!r}: head numbers start at 0")
    return head


#: Decorator adding the analysis options shared by ``analyze`` and ``run`` (selection, explanation, output).
analysis_options = _apply(
    [
        click.option(
            "--samples", default=None, metavar="N_SPAM:N_HAM", callback=_samples,
            help="Explain N_SPAM random spam and N_HAM random ham e-mails (by true label; by prediction when "
            "unlabelled), drawn with --seed. Default 3:3 when no other selection option is given; with "
            "--rows alone every selected row is explained.",
        ),
        click.option(
            "--explain-rows", default=None, metavar="3,17,...", callback=_rows,
            help="Explain these 0-based CSV data rows (they must be among the predicted rows).",
        ),
        click.option(
            "--misclassified", type=click.IntRange(min=0), default=0, show_default=True, metavar="N",
            help="Also explain N misclassified e-mails, most confidently wrong first (needs labels).",
        ),
        click.option(
            "--least-confident", type=click.IntRange(min=0), default=0, show_default=True, metavar="N",
            help="Also explain the N e-mails whose spam probability is closest to 0.5.",
        ),
        click.option(
            "--most-confident", type=click.IntRange(min=0), default=0, show_default=True, metavar="N",
            help="Also explain the N e-mails whose spam probability is farthest from 0.5.",
        ),
        click.option(
            "--ig-steps", type=click.IntRange(min=2), default=16, show_default=True,
            help="Integrated Gradients integration steps (Gauss-Legendre nodes by default); raise it when the "
            "results warn that IG did not converge within 5 %.",
        ),
        click.option(
            "--ig-method", type=click.Choice(IG_METHODS), default="gausslegendre", show_default=True,
            help="Integrated Gradients integration rule (Captum's names).",
        ),
        click.option(
            "--image-baseline", type=click.Choice(["white", "black", "blur"]), default="white", show_default=True,
            help="Picture that stands for 'no image' in Integrated Gradients and Shapley: a blank white page "
            "(e-mails are dark text on white), black, or a blurred copy of the picture.",
        ),
        click.option(
            "--internal-batch-size", type=click.IntRange(min=1), default=None,
            help="Integrated Gradients steps per forward pass (default: chosen to bound memory).",
        ),
        click.option(
            "--attention-layer", type=int, default=-1, show_default=True,
            help="Encoder layer whose full attention matrix is stored (0-based; -1 = last).",
        ),
        click.option(
            "--attention-head", default="mean", show_default=True, callback=_head, metavar="N|mean",
            help="Head of the stored attention matrix (0-based), or 'mean' over heads.",
        ),
        click.option(
            "--top-k", type=click.IntRange(min=1), default=10, show_default=True,
            help="Words per explained e-mail (largest |score|) that count toward the top-word lists.",
        ),
        click.option(
            "--min-count", type=click.IntRange(min=1), default=2, show_default=True,
            help="A top word must be among the --top-k words of at least this many explained e-mails.",
        ),
        click.option(
            "--deterministic", is_flag=True, default=False,
            help="Reproducible output: byte-identical on rerun (no timestamp unless SOURCE_DATE_EPOCH is set, "
            "no timings).",
        ),
        click.option(
            "--out", required=True, type=click.Path(file_okay=False, writable=True),
            help="Output folder (created). Files appear only when every step succeeded.",
        ),
        click.option("--progress/--no-progress", default=True, show_default=True,
                     help="Show progress bars on stderr."),
    ]
)


def _analyze_and_write(ctx: click.Context, options: dict[str, Any], formats: tuple[str, ...],
                       export_assets: bool) -> None:
    """Load inputs, run the analysis, write the outputs into ``--out`` (all or nothing) and list them."""
    from reportgen.analyze import AnalysisOptions, run_analysis
    from reportgen.cli.options import load_inputs

    progress = options.pop("progress")
    out = Path(options.pop("out"))
    deterministic = options["deterministic"]
    analysis = {key: options.pop(key) for key in _ANALYSIS_KEYS}
    analysis_options = AnalysisOptions(seed=int(options.get("seed", 0)), **analysis)
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
    from reportgen.results import save_results

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        if "json" in formats:
            save_results(results, staging / "results.json")
        rendered = tuple(f for f in formats if f != "json")
        if rendered or export_assets:
            from reportgen.report.render import render_report

            render_report(results, staging, rendered, deterministic=deterministic, export_assets=export_assets)
        return _publish(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@click.command("analyze")
@model_options
@data_options
@analysis_options
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
@model_options
@data_options
@analysis_options
@click.option(
    "--format", "formats", default="json,html,pdf", show_default=True, callback=format_list, metavar="LIST",
    help="Comma list of outputs: json (results.json), html (report.html), pdf (report.pdf).",
)
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
