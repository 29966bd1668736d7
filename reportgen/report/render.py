"""results.json → report.html (Jinja2) → report.pdf (WeasyPrint).

The HTML is one self-contained file: CSS inlined, figures as ``data:`` images, no JavaScript and a
Content-Security-Policy that forbids every request. The PDF is WeasyPrint's rendering of the same
HTML in print mode (the summary on page 1, the contents after it), plus the paged-media stylesheet
``static/print.css``, as a tagged PDF/UA-1 with title, author, subject, keywords and language; its URL
fetcher refuses everything except ``data:`` URIs and files inside the package's own ``static/`` folder.
"""

from __future__ import annotations

import math
import os
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from reportgen.version import __version__
from reportgen.errors import ReportgenError
from reportgen.options import FORMATS, parse_formats
from reportgen.report.build import build_document
from reportgen.report.document import Report
from reportgen.results.io import (
    SCHEMA_VERSION,
    dumps_results,
    timestamp,
    validate_results,
    write_bytes_atomic,
)

def _resource_dir(name: str) -> Path:
    """The top-level ``templates/`` or ``static/`` folder (design card), installed or in a checkout.

    A wheel carries them inside the package (``reportgen/report/templates``, pyproject's
    force-include); an editable install or a plain checkout finds them at the repository root.
    """
    here = Path(__file__).resolve().parent
    for candidate in (here / name, here.parents[1] / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"reportgen's {name}/ folder is missing from the installation")


#: Jinja2 templates and the stylesheet.
TEMPLATES_DIR = _resource_dir("templates")
STATIC_DIR = _resource_dir("static")
FILENAMES = {"json": "results.json", "html": "report.html", "pdf": "report.pdf"}
#: The PDF flavour: PDF/UA-1 (ISO 14289-1), a tagged PDF whose structure tree carries headings, lists,
#: tables and the figures' alt text to screen readers, with XMP metadata.
PDF_VARIANT = "pdf/ua-1"


# ------------------------------------------------------------------------------------------ HTML


def _cell(value: Any, decimals: int = 3) -> str:
    """Table cell text: floats rounded to ``decimals``, everything else as ``str``."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return "n/a" if not math.isfinite(value) else f"{value:.{decimals}f}"
    return str(value)


#: Runs of more non-space characters than this get break opportunities (identifiers and words up
#: to this length are never broken; see :func:`breakable`).
LONG_RUN = 40
#: Longest piece of a long run between two break opportunities.
_PIECE = 20
_LONG_RUN_RE = re.compile(r"\S{%d,}" % (LONG_RUN + 1))
#: Break after these inside a long run: paths, URLs, dotted and snake_case names.
_AFTER_SEPARATOR_RE = re.compile(r"(?<=[/\\._\-:;,=&?@|+])")


def breakable(value: Any) -> Any:
    """Escaped text with ``<wbr>`` break opportunities inside runs longer than :data:`LONG_RUN`.

    E-mail text, paths and table cells can hold a token thousands of characters long. CSS alone
    cannot wrap it cheaply: ``overflow-wrap: anywhere`` makes WeasyPrint measure a table cell's or
    flex item's narrowest width one character at a time (minutes for a 4,000-character token),
    while ``break-word`` (the stylesheet's choice) leaves the whole token as the narrowest width,
    so tables and cards grow past the page. Break opportunities after separators (``/ . _ -`` …)
    and every :data:`_PIECE` characters otherwise keep every piece short; shorter runs (ordinary
    words, setting names) are left whole, so they never wrap mid-word.

    Returns:
        :class:`markupsafe.Markup` (the text escaped; only ``<wbr>`` added).
    """
    from markupsafe import Markup, escape

    text = str(value)
    out: list[str] = []
    position = 0
    for match in _LONG_RUN_RE.finditer(text):
        out.append(escape(text[position:match.start()]))
        pieces = [chunk for part in _AFTER_SEPARATOR_RE.split(match.group()) for chunk in _chunks(part)]
        out.append(Markup("<wbr>").join(escape(piece) for piece in pieces if piece))
        position = match.end()
    out.append(escape(text[position:]))
    return Markup("").join(out)


def _chunks(text: str) -> list[str]:
    """``text`` in pieces of about :data:`_PIECE` characters, never splitting a combining sequence."""
    pieces = []
    start = 0
    while len(text) - start > _PIECE:
        end = start + _PIECE
        # A combining mark, joiner, variation selector or emoji modifier belongs to the character before it.
        while end < len(text) and (unicodedata.combining(text[end]) or text[end] in "\u200c\u200d\ufe0e\ufe0f"
                                   or "\U0001f3fb" <= text[end] <= "\U0001f3ff" or text[end - 1] == "\u200d"):
            end += 1
        pieces.append(text[start:end])
        start = end
    pieces.append(text[start:])
    return pieces


def _environment() -> Any:
    import jinja2

    # Autoescape every template: e-mail text is attacker-controlled. StrictUndefined: a typo in a
    # template is an error, not an empty string in a report.
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["cell"] = _cell
    env.filters["breakable"] = breakable
    return env


def report_css() -> str:
    """The report stylesheet (``static/report.css``) as text."""
    css = (STATIC_DIR / "report.css").read_text(encoding="utf-8")
    if "</" in css:  # it is inlined in <style>; a closing tag would end the element early
        raise ReportgenError("static/report.css must not contain '</'")
    return css


def print_css() -> str:
    """The PDF-only stylesheet (``static/print.css``): running heads, page numbers, page order."""
    return (STATIC_DIR / "print.css").read_text(encoding="utf-8")


def render_html(document: Report, *, print_mode: bool = False, rendered: str | None = None) -> str:
    """The report as one self-contained HTML page.

    Per-sample cards are ``<details open>`` in both flavours (contents links land on open cards and
    browsers print them whole, with no script).

    Args:
        document: the view model from :func:`reportgen.report.build.build_document`.
        print_mode: the PDF flavour: the contents follow the summary instead of preceding it.
        rendered: a timestamp to print in the page (``None`` = none, for byte-identical output).

    Returns:
        The HTML text.
    """
    from markupsafe import Markup

    template = _environment().get_template("base.html")
    return template.render(
        report=document, print=print_mode, version=__version__,
        schema_version=SCHEMA_VERSION, rendered=rendered,
        # Our own stylesheet (checked for "</" above), not data: safe to insert verbatim.
        css=Markup(report_css()),
    )


# ------------------------------------------------------------------------------------------- PDF


def restricted_url_fetcher() -> Any:
    """A WeasyPrint URL fetcher that only serves ``data:`` URIs and files in the package's static/.

    Every request is appended to ``fetcher.requested``; refused ones also to ``fetcher.refused``
    (so a test, or the caller, can prove nothing else was asked for).
    """
    from urllib.parse import unquote, urlsplit

    from weasyprint.urls import URLFetcher

    static = STATIC_DIR

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


def render_pdf_bytes(html: str, *, fetcher: Any = None, created: str | None = None,
                     on_write: Callable[[], None] | None = None) -> tuple[bytes, Any]:
    """Render print-mode HTML to PDF bytes with the restricted fetcher.

    Args:
        html: the print flavour of the report (``render_html(..., print_mode=True)``).
        fetcher: a fetcher from :func:`restricted_url_fetcher` (a new one when ``None``).
        created: ISO timestamp for the PDF metadata; ``None`` writes none (deterministic).
        on_write: called between the page layout and writing the file (fonts, images): progress.

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
        # The paged-media CSS goes to WeasyPrint only: browsers (and the HTML checker) do not know it.
        document = weasyprint.HTML(string=html, base_url=None, url_fetcher=fetcher).render(
            stylesheets=[weasyprint.CSS(string=print_css(), url_fetcher=fetcher)], pdf_variant=PDF_VARIANT)
        if created is None:
            document.metadata.created = None
            document.metadata.modified = None
        else:
            document.metadata.created = created
            document.metadata.modified = created
        if on_write is not None:
            on_write()
        # A fixed file identifier and font dates: the same HTML gives the same PDF bytes (PDF/UA's XMP
        # metadata holds no random document id, unlike PDF/X-4's).
        with _fixed_font_dates(created is None):
            pdf = document.write_pdf(pdf_identifier=b"reportgen-" + SCHEMA_VERSION.encode(), pdf_variant=PDF_VARIANT)
    finally:
        logger.setLevel(level)
    return pdf, fetcher


@contextmanager
def _fixed_font_dates(fixed: bool) -> Iterator[None]:
    """Date the embedded font subsets by ``SOURCE_DATE_EPOCH`` (0 unless set) instead of now.

    WeasyPrint saves each font subset with fontTools, which stamps the font's ``head.modified``
    with the current second unless ``SOURCE_DATE_EPOCH`` is set: two renders a second apart gave
    different PDF bytes.
    """
    if not fixed or "SOURCE_DATE_EPOCH" in os.environ:
        yield
        return
    os.environ["SOURCE_DATE_EPOCH"] = "0"
    try:
        yield
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]


# ---------------------------------------------------------------------------------------- driver


def _print_view(document: Report) -> Report:
    """``document`` with each figure's ``print_src`` (a JPEG WeasyPrint embeds as it is) as its image."""
    from dataclasses import replace

    from reportgen.report.document import Figure

    def printed(blocks: list[Any]) -> list[Any]:
        return [replace(b, src=b.print_src) if isinstance(b, Figure) and b.print_src else b for b in blocks]

    return replace(document, sections=[
        replace(section, blocks=printed(section.blocks),
                samples=[replace(sample, blocks=printed(sample.blocks)) for sample in section.samples])
        for section in document.sections])


def _with_font_warning(results: dict[str, Any]) -> dict[str, Any]:
    """``results`` with a summary warning (and one line on stderr) when a script in it has no font.

    Fonts are a property of the machine that renders, not of the analysis: the note goes into the
    report, never into results.json.
    """
    from reportgen.fonts import missing_font_note, report_texts

    note = missing_font_note(report_texts(results))
    if note is None:
        return results
    print(f"warning: {note}", file=sys.stderr)
    aggregate = results["aggregate"]
    return {**results, "aggregate": {**aggregate, "warnings": [*aggregate.get("warnings", []), note]}}


@contextmanager
def _steps(names: list[str], enabled: bool) -> Iterator[Callable[[str], None]]:
    """A tqdm bar on stderr over the render steps; the context yields ``begin(step_name)``.

    WeasyPrint reports no progress of its own: the bar shows which step runs and how many are done.
    """
    from tqdm.auto import tqdm

    with tqdm(total=len(names), desc="rendering", unit="step", disable=not enabled or not names) as bar:
        running = False

        def begin(name: str) -> None:
            nonlocal running
            if running:
                bar.update(1)
            running = True
            bar.set_postfix_str(name)

        yield begin
        if running:
            bar.update(1)


def render_report(results: dict[str, Any], out_dir: Path, formats: str | Iterable[str] = ("html", "pdf"), *,
                  deterministic: bool = False, export_assets: bool = False, attention_layer: int | None = None,
                  attention_head: int | None = None, progress: bool = False) -> dict[str, Path]:
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
            ``out_dir/assets/`` via :func:`reportgen.report.assets.export_assets`.
        attention_layer: text layer for the per-sample attention heatmap (default: the stored one).
        attention_head: attention head (only the head stored in results.json can be shown).
        progress: tqdm bars on stderr: figures drawn per e-mail, then the HTML and PDF steps.

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
        document = build_document(_with_font_warning(results), attention_layer=attention_layer,
                                  attention_head=attention_head, keep_figures=export_assets, progress=progress)
    steps = (["HTML"] if "html" in wanted else []) + (["PDF layout", "PDF file"] if "pdf" in wanted else [])
    with _steps(steps, progress) as begin:
        if "html" in wanted:
            begin("HTML")
            outputs["html"] = render_html(document, rendered=rendered).encode("utf-8")
        if "pdf" in wanted:
            begin("PDF layout")
            pdf, fetcher = render_pdf_bytes(render_html(_print_view(document), print_mode=True, rendered=rendered),
                                            created=rendered, on_write=lambda: begin("PDF file"))
            if fetcher.refused:
                # Cannot happen with our templates (all images are data: URIs); if it does, the report
                # would silently miss something, so refuse to write it.
                raise ReportgenError(
                    f"the PDF renderer was asked for outside resources: {', '.join(fetcher.refused[:3])}")
            outputs["pdf"] = pdf
    written: dict[str, Path] = {}
    for fmt in FORMATS:
        if fmt in outputs:
            path = out_dir / FILENAMES[fmt]
            write_bytes_atomic(path, outputs[fmt])
            written[fmt] = path
    if export_assets:
        from reportgen.report.assets import export_assets as _export_assets

        written["assets"] = Path(_export_assets(document, out_dir))
    return written
