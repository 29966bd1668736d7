"""``reportgen render RESULTS.json --out DIR``: the report from an existing results.json, no model."""

from __future__ import annotations

from pathlib import Path

import click

from reportgen.cli.options import redact_paths_option


@click.command("render")
@click.argument("results_file", metavar="RESULTS.json", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--out", "out", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Folder for report.html / report.pdf (created when missing).")
@click.option("--format", "formats", default="html,pdf", show_default=True, metavar="LIST",
              help="Comma list of outputs: html (report.html), pdf (report.pdf), json (a copy of results.json).")
@click.option("--deterministic", is_flag=True, default=False,
              help="No render timestamp (SOURCE_DATE_EPOCH is still honoured): re-running gives identical bytes.")
@click.option("--export-assets", is_flag=True, default=False,
              help="Also write every figure (SVG, PDF) and table (CSV, LaTeX) to OUT/assets/ for papers.")
@click.option("--attention-layer", type=int, default=None, metavar="N",
              help="Text layer for the per-sample attention figure. Default: the layer stored in results.json "
                   "(analyze's --attention-layer, the last layer unless set); other layers show the [CLS] row.")
@click.option("--attention-head", type=int, default=None, metavar="N",
              help="Attention head for the heatmap. Default: the head stored in results.json (mean of heads "
                   "unless analyze chose one); only the stored head can be shown.")
@click.option("--progress/--no-progress", default=True, show_default=True,
              help="Show progress bars on stderr (figures per e-mail, then the HTML and PDF steps).")
@redact_paths_option
def render_command(results_file: Path, out: Path, formats: str, deterministic: bool, export_assets: bool,
                   attention_layer: int | None, attention_head: int | None, progress: bool,
                   redact_paths: bool) -> None:
    """Render report.html and report.pdf from RESULTS.json (written by `analyze` or `run`).

    The HTML is one self-contained file (no JavaScript, no external requests); the PDF is A4 with a
    table of contents and page numbers. Nothing is written if anything fails.
    """
    # Imported here: WeasyPrint and matplotlib are heavy and `reportgen --help` must stay instant.
    from reportgen.report.assets import ASSETS_DIRNAME
    from reportgen.cli import printable
    from reportgen.output import prepare_output_folder
    from reportgen.report.render import FILENAMES, parse_formats, render_report
    from reportgen.results.io import load_results, timestamp

    wanted = parse_formats(formats)
    names = [FILENAMES[f] for f in wanted] + ([ASSETS_DIRNAME] if export_assets else [])
    # Checked first: --out (and whether its outputs may be replaced), then SOURCE_DATE_EPOCH.
    with prepare_output_folder(out, names) as output:
        timestamp(deterministic)
        results = load_results(results_file)
        if redact_paths:  # also the json copy: it is what --format json writes
            from reportgen.results.redact import redact_paths as redact

            results = redact(results)
        render_report(results, output.staging, wanted, deterministic=deterministic, export_assets=export_assets,
                      attention_layer=attention_layer, attention_head=attention_head, progress=progress)
        written = output.publish()
    for path in written:
        click.echo(f"wrote {printable(str(path))}")
