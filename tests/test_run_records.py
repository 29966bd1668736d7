"""What `reportgen run` records and shows about its inputs: paths (and --redact-paths), the inferred
max length, and e-mails whose text is missing in the CSV — end to end on a tiny checkpoint.

The explanation step is the cheap stand-in of tests/test_analyze_cli.py: these tests are about what is
recorded and shown, not about attributions.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from reportgen.cli import main
from reportgen.mmtd.checkpoint import save_checkpoint
from reportgen.results.io import load_results
from reportgen.results.redact import PATH_OPTIONS, last_part, redact_command, redact_paths
from tests.edp import write_edp
from tests.factories import tiny_mmtd, write_cased_tokenizer
from tests.results_fixture import make_results
from tests.test_analyze_cli import stand_in_explain_sample

EMPTY_ROW = 2
NULL_NOTE = "No text in the data; the model read it as 'null', as in training."


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """A tiny checkpoint (64 text positions), tokenizer and 6-row EDP CSV whose row 2 has an empty text,
    all under one folder whose absolute path must not leak when redacted."""
    root = tmp_path_factory.mktemp("private-home-of-ana")
    texts = ["win free money now", "hello team meeting", None, "invoice attached", "cheap pills", "lunch"]
    csv, pics = write_edp(root / "edp", n=6, texts=texts)
    model = tiny_mmtd(seed=3)
    assert model.config.text.max_position_embeddings == 64
    checkpoint = save_checkpoint(model, root / "models" / "checkpoint-7")
    heads = root / "heads.json"
    heads.write_text(json.dumps({"text": {"num_attention_heads": model.config.text.num_attention_heads},
                                 "image": {"num_attention_heads": model.config.image.num_attention_heads},
                                 "fusion_heads": model.config.fusion_heads}))
    return {"root": root, "csv": csv, "pics": pics, "checkpoint": checkpoint.parent, "heads": heads,
            "tokenizer": write_cased_tokenizer(root / "tok")}


def _run(inputs, out: Path, command: str, *extra: str, explain_rows: str = f"0,{EMPTY_ROW},3"):
    args = [command, "--checkpoint", str(inputs["checkpoint"]), "--model-config", str(inputs["heads"]),
            "--tokenizer", str(inputs["tokenizer"]), "--device", "cpu", "--data", str(inputs["csv"]),
            "--images", str(inputs["pics"]), "--out", str(out), "--no-progress", "--sanity-samples", "0",
            "--explain-rows", explain_rows, *extra]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("reportgen.explain.registry.explain_sample", stand_in_explain_sample)
        result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def _squeezed(text: str) -> str:
    # PDF text breaks long paths across lines; compare without any whitespace.
    return re.sub(r"\s+", "", text)


@functools.cache  # each report's PDF is read by several tests; pypdf takes a second or two per read
def _pdf_pages(path: Path) -> tuple[str, ...]:
    return tuple(_squeezed(page.extract_text()) for page in PdfReader(path).pages)


@pytest.fixture(scope="module")
def redacted(inputs, tmp_path_factory):
    out = tmp_path_factory.mktemp("shared") / "report"
    _run(inputs, out, "run", "--format", "json,html,pdf", "--redact-paths")
    return out


@pytest.fixture(scope="module")
def plain(inputs, tmp_path_factory):
    out = tmp_path_factory.mktemp("local") / "report"
    # One explained e-mail: its tests read the first pages, the appendix and results.json, not the cards.
    _run(inputs, out, "run", "--format", "json,html,pdf", "--max-length", "24", explain_rows="0")
    return out


def _input_paths(inputs) -> list[str]:
    """Every absolute path the run was given, and the folder that holds them all."""
    return [str(Path(inputs[key]).resolve()) for key in ("root", "csv", "pics", "checkpoint", "heads", "tokenizer")]


def _html_section(html: str, section_id: str) -> str:
    """The text of one section (tags dropped: long values carry <wbr> break hints)."""
    start = html.index(f'id="{section_id}"')
    following = html.find('<section class="major', start)
    return re.sub(r"<[^>]+>", "", html[start:following if following >= 0 else len(html)])


def test_redacted_outputs_hold_no_absolute_input_path(inputs, redacted):
    html = (redacted / "report.html").read_text(encoding="utf-8")
    results_text = (redacted / "results.json").read_text(encoding="utf-8")
    pdf = "".join(_pdf_pages(redacted / "report.pdf"))
    for path in _input_paths(inputs) + [str(redacted.resolve())]:
        assert path not in html and path not in results_text
        assert _squeezed(path) not in pdf
    # The tmp folder's unique name is a part of every input path: not a single trace of it is left.
    for text in (html, results_text, pdf):
        assert inputs["root"].name not in text
    results = json.loads(results_text)
    assert results["generator"]["paths_redacted"] is True
    assert results["model"]["path"] in ("checkpoint-7", "model.safetensors", "pytorch_model.bin")
    assert results["dataset"]["csv"] == "EDP.csv" and results["dataset"]["images"] == "pics"
    assert "--data EDP.csv" in results["generator"]["command"] and "--out report" in results["generator"]["command"]
    # The appendix still identifies what was run, and says that paths were left out.
    appendix = _html_section(html, "reproducibility")
    assert results["model"]["sha256"] in appendix and "--redact-paths" in appendix


def test_without_redaction_full_paths_are_only_in_the_appendix_and_results(inputs, plain):
    html = (plain / "report.html").read_text(encoding="utf-8")
    results = load_results(plain / "results.json")
    csv = str(Path(inputs["csv"]).resolve())
    assert results["dataset"]["csv"] == str(inputs["csv"]) and "paths_redacted" not in results["generator"]
    assert str(inputs["csv"]) in _html_section(html, "reproducibility")
    before_appendix = html[:html.index('id="reproducibility"')]
    for path in _input_paths(inputs):
        assert path not in before_appendix
    assert inputs["root"].name not in before_appendix  # title, summary, cards, captions, methods
    # The PDF's first page and its summary page (page 1 or 2, depending on the page order) name the model
    # file, and the summary its sha256, never a folder.
    pages = _pdf_pages(plain / "report.pdf")
    summary_page = next(page for page in pages if _squeezed("This report explains how") in page)
    for page in (pages[0], summary_page):
        assert inputs["root"].name not in page and _squeezed(csv) not in page
        assert last_part(results["model"]["path"]) in page
    assert results["model"]["sha256"][:12] in summary_page
    assert inputs["root"].name in "".join(pages)  # in the appendix


def test_the_inferred_max_length_is_recorded_and_stated(redacted, plain):
    inferred = load_results(redacted / "results.json")["model"]["max_length"]
    assert inferred["value"] == 64 and inferred["source"] == "inferred"
    assert "256 (MMTD's training length)" in inferred["derivation"]
    assert "64 (the checkpoint's text positions)" in inferred["derivation"]
    appendix = _html_section((redacted / "report.html").read_text(encoding="utf-8"), "reproducibility")
    assert "64 tokens per text" in appendix and "inferred, not given" in appendix

    given = load_results(plain / "results.json")["model"]["max_length"]
    assert given == {"value": 24, "source": "given", "derivation": "--max-length"}
    assert "24 tokens per text" in _html_section((plain / "report.html").read_text(encoding="utf-8"),
                                                 "reproducibility")


def test_an_email_without_text_is_marked_in_results_and_on_its_card(redacted):
    results = load_results(redacted / "results.json")
    assert {p["row"]: p["text_missing"] for p in results["predictions"]} == {
        row: row == EMPTY_ROW for row in range(6)}
    samples = {s["row"]: s for s in results["samples"]}
    assert sorted(samples) == [0, EMPTY_ROW, 3]
    assert samples[EMPTY_ROW]["text_missing"] is True and samples[EMPTY_ROW]["text"] == "null"
    assert samples[0]["text_missing"] is False and samples[3]["text_missing"] is False
    html = (redacted / "report.html").read_text(encoding="utf-8")
    cards = re.split(r'<details class="sample', html)[1:]
    with_note = [card for card in cards if NULL_NOTE.replace("'", "&#39;") in card or NULL_NOTE in card]
    assert len(with_note) == 1 and f"Row {EMPTY_ROW}:" in with_note[0]
    assert "<strong>Warning:</strong> No text" not in with_note[0]
    assert sum(_squeezed(NULL_NOTE) in page for page in _pdf_pages(redacted / "report.pdf")) == 1


def test_missing_text_read_as_empty_says_it_is_not_as_in_training(inputs, tmp_path):
    out = tmp_path / "out"
    _run(inputs, out, "run", "--format", "json,html", "--missing-text", "empty", "--max-length", "24")
    sample = {s["row"]: s for s in load_results(out / "results.json")["samples"]}[EMPTY_ROW]
    assert sample["text_missing"] is True and sample["text"] == ""
    html = (out / "report.html").read_text(encoding="utf-8")
    # Not as in training: said as a warning on the card (read as "null" it is a plain note).
    assert ("<strong>Warning:</strong> No text in the data; the model read an empty text (--missing-text empty, "
            "not as in training).") in html


def test_render_redact_paths_redacts_an_existing_results_file(plain, tmp_path, inputs):
    out = tmp_path / "shared"
    result = CliRunner().invoke(main, ["render", str(plain / "results.json"), "--out", str(out), "--format",
                                       "json,html", "--redact-paths", "--no-progress"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    for name in ("results.json", "report.html"):
        assert inputs["root"].name not in (out / name).read_text(encoding="utf-8")
    assert load_results(out / "results.json")["generator"]["paths_redacted"] is True


def test_redact_command_cuts_only_path_values():
    command = ("reportgen run --checkpoint /home/ana/m/checkpoint-939 --tokenizer bert-base-multilingual-cased "
               "--data '/home/ana/my data/EDP.csv' --images=/home/ana/pics --split fold:1/5 --rows 3,17 "
               "--out ./reports/r1")
    assert redact_command(command) == (
        "reportgen run --checkpoint checkpoint-939 --tokenizer bert-base-multilingual-cased --data EDP.csv "
        "--images=pics --split fold:1/5 --rows 3,17 --out r1")
    assert redact_command(redact_command(command)) == redact_command(command)
    assert last_part("C:\\Users\\ana\\model.safetensors") == "model.safetensors"


def test_redact_paths_is_idempotent_and_keeps_relative_picture_names():
    results = make_results()
    results["model"]["path"] = "/srv/ana/checkpoint-1/model.safetensors"
    results["samples"][0]["pic"] = "/srv/ana/outside/evil.png"
    results["dataset"]["images"] = "/srv/ana/edp/pics"
    results["dataset"]["skipped"][0]["reason"] = "unusable name ([Errno 36] File name too long: '/srv/ana/edp/pics/x')"
    results["aggregate"]["warnings"].append("picture /srv/ana/edp/pics/y.png is odd")
    once = redact_paths(results)
    assert once["model"]["path"] == "model.safetensors" and once["samples"][0]["pic"] == "evil.png"
    assert "/srv" not in json.dumps(once)
    assert once["dataset"]["skipped"][0]["reason"].endswith("too long: 'pics/x')")
    assert once["samples"][1]["pic"] == results["samples"][1]["pic"]  # the CSV's own relative name
    assert redact_paths(once) == once and results["model"]["path"].startswith("/srv")  # a copy


@pytest.mark.parametrize("command", ["analyze", "run", "render", "predict", "demo", "inspect"])
def test_every_path_option_is_cut_in_the_recorded_command(command):
    from reportgen.cli import main as group

    ctx = click.Context(group)
    options = group.get_command(ctx, command).params
    path_flags = {opt for p in options if isinstance(p, click.Option) and isinstance(p.type, click.Path)
                  for opt in p.opts}
    assert path_flags <= set(PATH_OPTIONS)


@pytest.mark.slow
def test_demo_redact_paths_leaves_no_absolute_path(tmp_path):
    import reportgen

    out = tmp_path / "private-demo-of-ana"
    result = CliRunner().invoke(main, ["demo", "--out", str(out), "--format", "json,html", "--samples", "1",
                                       "--ig-steps", "16", "--redact-paths", "--no-progress"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    package = str(Path(reportgen.__file__).resolve().parent)
    for name in ("results.json", "report.html"):
        text = (out / name).read_text(encoding="utf-8")
        assert str(tmp_path) not in text and package not in text
    assert load_results(out / "results.json")["generator"]["paths_redacted"] is True


def test_the_python_api_redacts_paths_like_the_command_line(inputs):
    import reportgen

    loaded = reportgen.load(inputs["checkpoint"], inputs["csv"], inputs["pics"], tokenizer=str(inputs["tokenizer"]),
                            model_config=str(inputs["heads"]), device="cpu")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("reportgen.explain.registry.explain_sample", stand_in_explain_sample)
        results = reportgen.analyze(loaded, progress=False, explain_rows="0", sanity_samples=0, redact_paths=True)
    text = json.dumps(results)
    assert results["generator"]["paths_redacted"] is True
    for path in _input_paths(inputs):
        assert path not in text
    assert results["model"]["sha256"]  # the checkpoint stays identified
