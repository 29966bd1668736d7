"""results.json → report.html (Jinja2) → report.pdf (WeasyPrint).

The HTML is one self-contained file: CSS inlined, figures as ``data:`` images, no JavaScript and a
Content-Security-Policy that forbids every request. The PDF is WeasyPrint's rendering of the same
HTML in print mode (every sample expanded), with a URL fetcher that refuses everything except
``data:`` URIs and files inside the package's own ``static/`` folder.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from reportgen import __version__
from reportgen.document import Report, build_document
from reportgen.errors import ReportgenError
from reportgen.resources import resource_dir
from reportgen.results.io import SCHEMA_VERSION, dumps_results, timestamp, validate_results, write_bytes_atomic

FORMATS = ("json", "html", "pdf")
FILENAMES = {"json": "results.json", "html": "report.html", "pdf": "report.pdf"}


# ------------------------------------------------------------------------------------------ HTML


def _cell(value: Any, decimals: int = 3) -> str:
    """Table cell text: floats rounded to ``decimals``, everything else as ``str``."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return "n/a" if not math.isfinite(value) else f"{value:.{decimals}f}"
    return str(value)


def _environment() -> Any:
    import jinja2

    # Autoescape every template: e-mail text is attacker-controlled. StrictUndefined: a typo in a
    # template is an error, not an empty string in a report.
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resource_dir("templates"))),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["cell"] = _cell
    return env


def report_css() -> str:
    """The report stylesheet (``static/report.css``) as text."""
    css = (resource_dir("static") / "report.css").read_text(encoding="utf-8")
    if "</" in css:  # it is inlined in <style>; a closing tag would end the element early
        raise ReportgenError("static/report.css must not contain '</'")
    return css


def render_html(document: Report, *, print_mode: bool = False, open_samples: bool = False,
                rendered: str | None = None) -> str:
    """The report as one self-contained HTML page.

    Args:
        document: the view model from :func:`reportgen.document.build_document`.
        print_mode: the PDF flavour: every per-sample ``<details>`` is open.
        open_samples: open the per-sample sections on screen too.
        rendered: a timestamp to print in the page (``None`` = none, for byte-identical output).

    Returns:
        The HTML text.
    """
    from markupsafe import Markup

    template = _environment().get_template("base.html")
    return template.render(
        report=document, print=print_mode, open_samples=open_samples, version=__version__,
        schema_version=SCHEMA_VERSION, rendered=rendered,
        # Our own stylesheet (checked for "</" above), not data: safe to insert verbatim.
        css=Markup(report_css()),
    )


# ------------------------------------------------------------------------------------------- PDF


def _static_dir() -> Path:
    return resource_dir("static").resolve()


def restricted_url_fetcher() -> Any:
    """A WeasyPrint URL fetcher that only serves ``data:`` URIs and files in the package's static/.

    Every request is appended to ``fetcher.requested``; refused ones also to ``fetcher.refused``
    (so a test, or the caller, can prove nothing else was asked for).
    """
    from urllib.parse import unquote, urlsplit

    from weasyprint.urls import URLFetcher

    static = _static_dir()

    class RestrictedURLFetcher(URLFetcher):
        def __init__(self) -> None:
            super().__init__(allowed_protocols=("data", "file"), allow_redirects=False)
            self.requested: list[str] = []
            self.refused: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> Any:  # noqa: D401 - WeasyPrint's API
            self.requested.append(url)
            scheme = url.split(":", 1)[0].lower()
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "file":
                path = Path(unquote(urlsplit(url).path)).resolve()
                if path.is_relative_to(static) and path.is_file():
                    return super().fetch(url, headers)
            self.refused.append(url)
            raise ValueError(f"reportgen refuses to fetch {url[:80]!r}: reports may only use data: URIs")

    return RestrictedURLFetcher()


def render_pdf_bytes(html: str, *, fetcher: Any = None, created: str | None = None) -> tuple[bytes, Any]:
    """Render print-mode HTML to PDF bytes with the restricted fetcher.

    Args:
        html: the print flavour of the report (``render_html(..., print_mode=True)``).
        fetcher: a fetcher from :func:`restricted_url_fetcher` (a new one when ``None``).
        created: ISO timestamp for the PDF metadata; ``None`` writes none (deterministic).

    Returns:
        ``(pdf_bytes, fetcher)``; ``fetcher.refused`` lists every URL that was refused.
    """
    import logging

    import weasyprint

    fetcher = fetcher or restricted_url_fetcher()
    # WeasyPrint logs refused resources as warnings; they are recorded on the fetcher instead.
    logger = logging.getLogger("weasyprint")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        document = weasyprint.HTML(string=html, base_url=None, url_fetcher=fetcher).render()
        if created is None:
            document.metadata.created = None
            document.metadata.modified = None
        else:
            document.metadata.created = created
            document.metadata.modified = created
        # A fixed file identifier: the same HTML gives the same PDF bytes.
        pdf = document.write_pdf(identifier=b"reportgen-" + SCHEMA_VERSION.encode())
    finally:
        logger.setLevel(level)
    return pdf, fetcher


# ---------------------------------------------------------------------------------------- driver


def parse_formats(formats: str | Iterable[str], *, allow_empty: bool = False) -> tuple[str, ...]:
    """``"html,pdf"`` or an iterable → a tuple of known formats (ReportgenError on an unknown one)."""
    items = [f.strip().lower() for f in (formats.split(",") if isinstance(formats, str) else formats)]
    items = [f for f in items if f]
    unknown = [f for f in items if f not in FORMATS]
    if unknown or not (items or allow_empty):
        raise ReportgenError(f"--format: unknown format(s) {', '.join(unknown) or '(none)'}; choose from "
                             f"{', '.join(FORMATS)}")
    return tuple(dict.fromkeys(items))


def render_report(results: dict[str, Any], out_dir: Path, formats: str | Iterable[str] = ("html", "pdf"), *,
                  deterministic: bool = False, export_assets: bool = False, attention_layer: int | None = None,
                  attention_head: int | None = None) -> dict[str, Path]:
    """Render results into ``out_dir``: results.json, report.html and/or report.pdf.

    Everything is built in memory first and each file is written atomically (temporary file, then
    rename), so a failure leaves no half-written report behind.

    Args:
        results: a results dict (validated here against the schema).
        out_dir: output folder (created when missing).
        formats: any of ``"json"``, ``"html"``, ``"pdf"`` (a comma list or an iterable).
        deterministic: no render timestamp (unless ``SOURCE_DATE_EPOCH`` is set), so re-running
            gives byte-identical files.
        export_assets: also write every figure (SVG, PDF) and table (CSV, LaTeX) under
            ``out_dir/assets/`` via :func:`reportgen.assets.export_assets`.
        attention_layer: text layer for the per-sample attention heatmap (default: the stored one).
        attention_head: attention head (only the head stored in results.json can be shown).

    Returns:
        ``{format: path}`` of the files written (plus ``"assets"`` when exported).

    Raises:
        ResultsError: results do not match the schema or lack the requested attention layer/head.
        ReportgenError: unknown format, or the PDF renderer was asked for an outside resource.
    """
    # No format is fine when only the paper assets are wanted (`run --format json --export-assets`).
    wanted = parse_formats(formats, allow_empty=export_assets)
    validate_results(results)
    out_dir = Path(out_dir)
    rendered = timestamp(deterministic)
    outputs: dict[str, bytes] = {}
    if "json" in wanted:
        outputs["json"] = dumps_results(results).encode("utf-8")
    document = None
    if "html" in wanted or "pdf" in wanted or export_assets:
        document = build_document(results, attention_layer=attention_layer, attention_head=attention_head,
                                  keep_figures=export_assets)
    if "html" in wanted:
        outputs["html"] = render_html(document, rendered=rendered).encode("utf-8")
    if "pdf" in wanted:
        pdf, fetcher = render_pdf_bytes(render_html(document, print_mode=True, rendered=rendered), created=rendered)
        if fetcher.refused:
            # Cannot happen with our templates (all images are data: URIs); if it does, the report
            # would silently miss something, so refuse to write it.
            raise ReportgenError(f"the PDF renderer was asked for outside resources: {', '.join(fetcher.refused[:3])}")
        outputs["pdf"] = pdf
    written: dict[str, Path] = {}
    for fmt in FORMATS:
        if fmt in outputs:
            path = out_dir / FILENAMES[fmt]
            write_bytes_atomic(path, outputs[fmt])
            written[fmt] = path
    if export_assets:
        from reportgen.assets import export_assets as _export_assets

        written["assets"] = Path(_export_assets(document, out_dir))
    return written
