"""report.html and report.pdf from a fixture results.json: structure, PDF text, determinism, atomicity."""

from __future__ import annotations

import os
import re
import time
import warnings
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reportgen.errors import ReportgenError, ResultsError
from reportgen.report.render import render_pdf_bytes, render_report
from reportgen.results.io import save_results
from tests.results_fixture import make_results

warnings.filterwarnings("ignore", message="Glyph .* missing from font")

N_SAMPLES = 2


class _Page(HTMLParser):
    """Collects tags, attributes, ids and visible text of an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.ids: set[str] = set()
        self.text: list[str] = []
        self._stack: list[str] = []
        self._glued = False  # the text after a <wbr> continues the text before it

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "wbr":  # a line-break opportunity inside a word, not a separator
            self._glued = True
            return
        attributes = {k: v or "" for k, v in attrs}
        self.tags.append((tag, attributes))
        if "id" in attributes:
            self.ids.add(attributes["id"])
        self._stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._stack and self._stack[-1] == tag:
            self._stack.pop()

    def handle_data(self, data: str) -> None:
        if self._glued and self.text:
            self.text[-1] += data
        elif not self._stack or self._stack[-1] not in ("style", "title"):
            self.text.append(data)
        self._glued = False


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


@pytest.fixture(scope="module")
def results() -> dict:
    return make_results(N_SAMPLES, n_predictions=20)


@pytest.fixture(scope="module")
def rendering(results: dict, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Path], Any]:
    """The fixture's report written once, and the fetcher its PDF renderer used (which URLs it was asked for).

    SOURCE_DATE_EPOCH unset: reportgen pins the PDF's font dates itself (see the byte-identity test).
    """
    import reportgen.report.render as render

    real, fetchers = render.render_pdf_bytes, []

    def recording(*args: Any, **kwargs: Any) -> tuple[bytes, Any]:
        pdf, fetcher = real(*args, **kwargs)
        fetchers.append(fetcher)
        return pdf, fetcher

    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("SOURCE_DATE_EPOCH", raising=False)
        patch.setattr(render, "render_pdf_bytes", recording)
        written = render_report(results, tmp_path_factory.mktemp("report"), ("json", "html", "pdf"),
                                deterministic=True)
    assert len(fetchers) == 1
    return written, fetchers[0]


@pytest.fixture(scope="module")
def rendered(rendering: tuple[dict[str, Path], Any]) -> dict[str, Path]:
    return rendering[0]


def test_writes_the_requested_files(rendered: dict[str, Path]) -> None:
    assert {k: p.name for k, p in rendered.items()} == {"json": "results.json", "html": "report.html",
                                                        "pdf": "report.pdf"}
    folder = rendered["html"].parent
    assert sorted(p.name for p in folder.iterdir()) == ["report.html", "report.pdf", "results.json"]


def test_html_is_self_contained_without_script(rendered: dict[str, Path]) -> None:
    html = rendered["html"].read_text(encoding="utf-8")
    page = parse(html)
    tags = [t for t, _ in page.tags]
    assert "script" not in tags and "iframe" not in tags and "object" not in tags
    csp = [a for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0]["content"] and "img-src data:" in csp[0]["content"]
    assert not any(t == "link" and a.get("rel") == "stylesheet" for t, a in page.tags), "CSS must be inlined"
    for tag, attributes in page.tags:
        for name in ("src", "href", "srcset", "action", "poster", "data"):
            value = attributes.get(name)
            if value is not None:
                assert value.startswith(("data:", "#")), f"<{tag} {name}={value[:60]!r}>"
        assert not any(name.startswith("on") for name in attributes), f"event handler on <{tag}>"
    assert not re.search(r"url\(\s*['\"]?(https?:|//)", html)


def test_in_page_links_all_resolve(rendered: dict[str, Path]) -> None:
    page = parse(rendered["html"].read_text(encoding="utf-8"))
    targets = [a["href"][1:] for t, a in page.tags if t == "a" and a.get("href", "").startswith("#")]
    assert targets and set(targets) <= page.ids
    details = [a for t, a in page.tags if t == "details"]
    # Open on screen too: a contents link lands on a card showing its content, and browsers print it.
    assert len(details) == N_SAMPLES and all("open" in a for a in details)


def test_html_shows_summary_first_and_sample_words(results: dict, rendered: dict[str, Path]) -> None:
    page = parse(rendered["html"].read_text(encoding="utf-8"))
    text = " ".join(page.text)
    order = [text.index(title, text.index("Reproducibility") + 1) for title in
             ("Summary", "All e-mails together", "E-mails one by one", "Methods", "Reproducibility")]
    assert order == sorted(order)
    for word in results["samples"][0]["words"][:5]:
        assert word["text"] in text


def test_pdf_has_pages_titles_and_a_samples_words(results: dict, rendered: dict[str, Path]) -> None:
    from pypdf import PdfReader

    reader = PdfReader(str(rendered["pdf"]))
    assert len(reader.pages) >= 4 + N_SAMPLES  # contents+summary, aggregate, samples…, appendices
    text = "\n".join(page.extract_text() for page in reader.pages)
    for title in ("Contents", "Summary", "All e-mails together", "E-mails one by one", "Methods",
                  "Reproducibility"):
        assert title in text
    assert f"Page 1 of {len(reader.pages)}" in text
    words = [w["text"] for w in results["samples"][0]["words"] if len(w["text"]) > 3][:3]
    for word in words:
        assert word in text
    # The table of contents carries page numbers (target-counter): "Methods ..... N".
    assert re.search(r"Methods\s*\.+\s*\d+", text)


def test_pdf_renderer_fetches_only_data_uris(rendering: tuple[dict[str, Path], Any]) -> None:
    _, fetcher = rendering
    assert fetcher.requested and all(url.startswith("data:") for url in fetcher.requested)
    assert fetcher.refused == []


def test_fetcher_refuses_outside_resources(tmp_path: Path) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not for the report")
    html = (f'<html><body><img src="file://{secret}"><img src="http://127.0.0.1:9/x.png">'
            f'<p style="background:url(https://example.invalid/a)">x</p></body></html>')
    _, fetcher = render_pdf_bytes(html)
    assert f"file://{secret}" in fetcher.refused
    assert "http://127.0.0.1:9/x.png" in fetcher.refused
    assert "https://example.invalid/a" in fetcher.refused


def test_deterministic_render_is_byte_identical(results: dict, rendered: dict[str, Path], tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # Also a regression test: fontTools stamped every embedded font subset with the current second,
    # so two deterministic renders of the same report a second apart gave different PDFs. (This was
    # test_pdf_bytes_do_not_depend_on_the_second_they_are_written, which rendered a third PDF for it.)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    time.sleep(max(0.0, rendered["pdf"].stat().st_mtime + 1.1 - time.time()))  # a second after the first
    again = render_report(results, tmp_path, ("html", "pdf"), deterministic=True)
    assert again["html"].read_bytes() == rendered["html"].read_bytes()
    assert again["pdf"].read_bytes() == rendered["pdf"].read_bytes()
    assert "SOURCE_DATE_EPOCH" not in os.environ, "the environment is restored"


def test_source_date_epoch_is_the_render_time(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1000000000")
    out = render_report(make_results(0, n_predictions=4), tmp_path, "html", deterministic=True)  # no card needed
    assert "Rendered 2001-09-09T01:46:40Z" in out["html"].read_text(encoding="utf-8")


def test_failure_leaves_nothing_half_written(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import reportgen.report.render as render

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(render, "render_pdf_bytes", broken)
    with pytest.raises(RuntimeError):
        render_report(make_results(1, n_predictions=4), tmp_path / "out", ("html", "pdf"))
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_invalid_results_or_format_are_one_line_errors(tmp_path: Path) -> None:
    results = make_results(1, n_predictions=4)
    del results["samples"][0]["words"]
    with pytest.raises(ResultsError, match="samples/0"):
        render_report(results, tmp_path, "html")
    with pytest.raises(ReportgenError, match="docx"):
        render_report(make_results(1, n_predictions=4), tmp_path, "html,docx")
    assert list(tmp_path.iterdir()) == []


def test_cli_render_writes_html_from_results_json(tmp_path: Path) -> None:
    from reportgen.cli import main

    save_results(make_results(1, n_predictions=4), tmp_path / "results.json")
    result = CliRunner().invoke(main, ["render", str(tmp_path / "results.json"), "--out", str(tmp_path / "r"),
                                       "--format", "html", "--deterministic"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "r" / "report.html").is_file() and not (tmp_path / "r" / "report.pdf").exists()
    bad = CliRunner().invoke(main, ["render", str(tmp_path / "missing.json"), "--out", str(tmp_path / "r2")])
    assert bad.exit_code == 1 and "no such file" in bad.output and len(bad.output.strip().splitlines()) == 1
    head = CliRunner().invoke(main, ["render", str(tmp_path / "results.json"), "--out", str(tmp_path / "r3"),
                                     "--format", "html", "--attention-head", "2"])
    assert head.exit_code == 1 and "--attention-head 2" in head.output and not (tmp_path / "r3").exists()


def test_export_assets_writes_every_figure_and_table(results: dict, tmp_path: Path) -> None:
    # (Also the test that each e-mail's files carry its own row: it was test_figures_size's
    # test_exported_assets_are_named_by_row, which exported a second report for it.)
    written = render_report(results, tmp_path, (), export_assets=True)
    assets = written["assets"]
    names = {p.name for p in assets.iterdir()}
    for stem in ("confusion_matrix", "roc"):
        assert {f"{stem}.svg", f"{stem}.pdf"} <= names
    for stem in ("metrics", "top_words_spam", "sample_index"):
        assert {f"{stem}.csv", f"{stem}.tex"} <= names
    # An e-mail's files are named by its data row, so they keep their names when other e-mails are chosen.
    for sample in results["samples"]:
        row = f"row-{sample['row']:05d}"
        for stem in (f"{row}-image_ig", f"{row}-ig_convergence", f"{row}-words"):
            assert {f"{stem}.svg", f"{stem}.pdf"} <= names
        assert {f"{row}-modality.csv", f"{row}-modality.tex"} <= names
    assert not any(name.startswith("sample-") for name in names)
    assert not (tmp_path / "report.html").exists()


@pytest.mark.parametrize("content,message", [
    # Regression: a 200,000-deep nesting ended in a RecursionError traceback.
    ("[" * 200_000 + "]" * 200_000, "nested too deeply to be a results file"),
    # Regression: NaN passed the schema check, then `render --format json` wrote null.
    (None, "non-finite number NaN"),
])
def test_cli_render_of_hostile_results_is_one_line(tmp_path: Path, content: str | None, message: str) -> None:
    from reportgen.cli import main

    path = tmp_path / "results.json"
    if content is None:
        save_results(make_results(1, n_predictions=4), path)
        content = path.read_text(encoding="utf-8").replace('"prob_spam": ', '"prob_spam": NaN, "x": ', 1)
    path.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(main, ["render", str(path), "--out", str(tmp_path / "r"), "--format", "json"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.output
    assert not (tmp_path / "r").exists()


def test_cli_render_replaces_its_own_report_but_not_the_users(tmp_path: Path) -> None:
    from reportgen.cli import main

    save_results(make_results(1, n_predictions=4), tmp_path / "results.json")
    args = ["render", str(tmp_path / "results.json"), "--out", str(tmp_path / "r"), "--format", "json"]
    assert CliRunner().invoke(main, args).exit_code == 0
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0, again.output
    (tmp_path / "r" / "results.json").write_text("{}", encoding="utf-8")  # the user's edit
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 1 and "results.json exists and was not written by reportgen" in refused.output
    assert (tmp_path / "r" / "results.json").read_text(encoding="utf-8") == "{}"
