"""``reportgen demo``: the bundled multilingual corpus and small MMTD, analysed and reported.

A new user's first command. Nothing is downloaded: the corpus is generated and the model and
tokenizer ship inside the package (``reportgen/demo/assets/``).
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from reportgen.cli.options import command_line, format_option, redact_paths_option

#: The demo corpus folder inside --out (as reportgen.demo.pipeline writes it).
DEMO_DATA = "demo-data"


@click.command("demo")
@click.option("--out", required=True, type=click.Path(file_okay=False, writable=True),
              help="Output folder: demo-data/ (EDP.csv + pics/), results.json, report.html, report.pdf.")
@click.option("--samples", "per_kind", type=click.IntRange(min=1, max=20), default=3, show_default=True,
              metavar="N",
              help="E-mails explained per spam kind (signal in the text only, the picture only, both) and of ham, "
              "plus up to N misclassified ones.")
@format_option()
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="cpu", show_default=True,
              help="Where the model runs (the demo model is small; cpu is fast).")
@click.option("--ig-steps", type=click.IntRange(min=2), default=None,
              help="Integrated Gradients steps to start with. Default: analyze's (16 Gauss-Legendre nodes, "
              "doubled until IG converges within 5 %).")
@click.option("--deterministic", is_flag=True, default=False,
              help="Byte-identical output on rerun (no timestamps, no timings).")
@click.option("--progress/--no-progress", default=True, show_default=True, help="Show progress bars on stderr.")
@redact_paths_option
@click.pass_context
def demo_command(ctx: click.Context, out: str, per_kind: int, formats: tuple[str, ...], device: str,
                 ig_steps: int | None, deterministic: bool, progress: bool, redact_paths: bool) -> None:
    """Generate the demo e-mails (English, Spanish, German, Russian; spam whose signal is in the text,
    the picture or both, and ham incl. newsletters with banners), analyse them with the small MMTD
    model shipped inside reportgen (already trained: nothing is trained or downloaded) through the
    same loaders as your own data, and write the report.
    """
    from reportgen.cli import printable
    from reportgen.output import prepare_output_folder
    from reportgen.report.render import FILENAMES
    from reportgen.results.io import timestamp

    started = time.perf_counter()
    out_dir = Path(out)
    # Checked before any work: --out, whether its outputs may be replaced, SOURCE_DATE_EPOCH.
    with prepare_output_folder(out_dir, [DEMO_DATA, *(FILENAMES[f] for f in formats)]) as output:
        timestamp(deterministic)
        from reportgen.demo.pipeline import run_demo
        from reportgen.inputs import resolve_device

        try:
            # The corpus goes to its final place (results.json records its path); the report is staged.
            written = run_demo(
                out_dir, report_dir=output.staging, per_kind=per_kind, formats=formats,
                device=resolve_device(device), ig_steps=ig_steps, deterministic=deterministic, progress=progress,
                command=command_line(ctx), echo=lambda line: click.echo(printable(line), err=True),
                redact_paths=redact_paths,
            )
        finally:
            output.adopt(DEMO_DATA)  # the corpus stays reportgen's, even when the analysis failed
        published = output.publish()
    for path in published:  # the corpus was announced when it was written, before the analysis
        click.echo(f"wrote {printable(str(path))}")
    report = next((out_dir / FILENAMES[f] for f in ("html", "pdf", "json") if f in formats), out_dir)
    click.echo(f"demo finished in {time.perf_counter() - started:.0f} s; open {printable(str(report))}")
