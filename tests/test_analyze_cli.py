"""`reportgen analyze` / `reportgen run --format json` end to end on a tiny checkpoint and EDP folder.

Most tests replace the attribution step with ``stand_in_explain_sample`` (a cheap, deterministic test
double that honours the explain_sample contract: scores per real token, a patch grid, complete IG,
efficient Shapley), so they test selection, assembly, saving and the CLI quickly. One test runs the
real :mod:`reportgen.explain.ig` when it is installed.
"""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from PIL import Image

import reportgen.analysis.pipeline as analyze
from reportgen.mmtd.checkpoint import save_checkpoint
from reportgen.cli import main
from reportgen.explain.modality import modality_contributions
from reportgen.mmtd.model import spam_log_odds
from reportgen.results.io import load_results
from tests.edp import write_edp
from tests.factories import tiny_mmtd, write_cased_tokenizer

MAX_LENGTH = 24  # the tiny model has 64 positions


def stand_in_explain_sample(model, encoded, special_ids, options, names=None, *, text=None, preprocessor=None):
    """Test double of explain_sample: 70 % of f(input) on the text, 30 % on the picture, exactly."""
    assert set(special_ids) == {"cls", "sep", "pad"}
    assert encoded["input_ids"].shape[0] == 1
    with torch.no_grad():
        f_input = float(spam_log_odds(model(**encoded))[0])
    n_real = int(encoded["attention_mask"][0].sum())
    ids = encoded["input_ids"][0, :n_real].tolist()
    weights = [((i % 7) + 1) * (1 if k % 2 else -1) for k, i in enumerate(ids)]
    total = sum(weights) or 1
    token_scores = [0.7 * f_input * w / total for w in weights]
    side = model.config.image.image_size // model.config.image.patch_size
    image_scores = [[0.3 * f_input / side**2] * side for _ in range(side)]
    text_sum, image_sum = 0.7 * f_input, 0.3 * f_input
    return {
        "token_scores": token_scores,
        "image_scores": image_scores,
        "integrated_gradients": {"n_steps": options.ig_steps, "method": options.ig_method,
                                 "f_input": f_input, "f_baseline": 0.0, "delta": 0.0, "relative_delta": 0.0,
                                 "flagged": False},
        "attention": {
            "text": {"cls_rows": [[1.0 / n_real] * n_real], "rollout": [1.0 / n_real] * n_real},
            "image": {"cls_to_patches": image_scores, "rollout": image_scores},
            "fusion": {"text": 0.6, "image": 0.4},
        },
        "modality": modality_contributions(
            {"text_total": text_sum, "image_total": image_sum, "f_input": f_input, "f_baseline": 0.0, "delta": 0.0},
            {"text": text_sum, "image": image_sum, "f_full": f_input, "f_none": 0.0}),
    }


@pytest.fixture()
def stand_in(monkeypatch):
    monkeypatch.setattr("reportgen.explain.registry.explain_sample", stand_in_explain_sample)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A tiny original-layout checkpoint, tokenizer and 10-row EDP folder (one picture 1000 px wide)."""
    root = tmp_path_factory.mktemp("analyze")
    texts = ["win free money now", "hello team meeting tomorrow", "cheap pills click here", "invoice attached thanks",
             "unbelievable prize offer", "lunch tomorrow", "gratis dinero", "привет team", "free free win", "report"]
    csv, pics = write_edp(root / "edp", n=10, texts=texts)
    Image.new("RGB", (1000, 300), "white").save(pics / "3.png")
    model = tiny_mmtd(seed=3)
    checkpoint = save_checkpoint(model, root / "checkpoint-1")
    # hidden 32 is not a multiple of 64: the head counts must come from a model config.
    model_config = root / "heads.json"
    model_config.write_text(json.dumps({
        "text": {"num_attention_heads": model.config.text.num_attention_heads},
        "image": {"num_attention_heads": model.config.image.num_attention_heads},
        "fusion_heads": model.config.fusion_heads,
    }))
    tokenizer = write_cased_tokenizer(root / "tok")
    return {"root": root, "csv": csv, "pics": pics, "checkpoint": checkpoint.parent, "tokenizer": tokenizer,
            "model_config": model_config}


def _args(world, out, *extra):
    return ["--checkpoint", str(world["checkpoint"]), "--model-config", str(world["model_config"]), "--tokenizer", str(world["tokenizer"]),
            "--max-length", str(MAX_LENGTH), "--device", "cpu", "--data", str(world["csv"]),
            "--images", str(world["pics"]), "--out", str(out), "--no-progress", *extra]


def _invoke(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_analyze_writes_valid_results_with_every_prediction_and_the_default_samples(world, stand_in, tmp_path):
    out = tmp_path / "out"
    result = _invoke("analyze", *_args(world, out))
    assert result.exit_code == 0, result.output
    results = load_results(out / "results.json")  # validates against the schema
    assert [p["row"] for p in results["predictions"]] == list(range(10))
    assert results["metrics"]["n"] == 10
    samples = results["samples"]
    assert len(samples) == 6
    assert sorted(s["reason"] for s in samples) == ["random ham"] * 3 + ["random spam"] * 3
    assert [s["row"] for s in samples] == sorted(s["row"] for s in samples)
    by_row = {p["row"]: p for p in results["predictions"]}
    for sample in samples:
        assert sample["tokens"][0] == "[CLS]" and sample["tokens"][-1] == "[SEP]" and "[PAD]" not in sample["tokens"]
        assert len(sample["token_scores"]) == len(sample["tokens"])
        assert sample["probabilities"]["spam"] == by_row[sample["row"]]["prob_spam"]
        assert sample["outcome"] in ("TP", "FP", "TN", "FN")
        assert sample["picture"].startswith("data:image/png;base64,")
        assert sum(w["score"] for w in sample["words"]) == pytest.approx(sum(sample["token_scores"][1:-1]))
    assert results["methods"]["explained_quantity"].startswith("the spam log-odds")
    verdict = results["aggregate"]["verdict"]
    # The verdict comes from every prediction's Shapley split (the real tiny model), not from the stand-in.
    assert verdict["n"] + verdict["n_decided_by_default"] == 10
    for prediction in results["predictions"]:
        split = prediction["shapley"]
        assert split["f_full"] == prediction["logit_spam"] - prediction["logit_ham"]
        assert split["text"] + split["image"] == pytest.approx(split["f_full"] - split["f_none"], rel=1e-9)
    assert results["generator"]["command"].startswith("reportgen analyze --checkpoint")
    assert "--no-progress" in results["generator"]["command"]
    assert (out / "results.json").stat().st_mode & 0o044 == 0o044 or os.umask(os.umask(0)) & 0o044
    assert "timings" in results["generator"] and results["generator"]["created"]
    assert "leading source: " in result.output.splitlines()[-1]


@pytest.mark.parametrize("split,method", [("fold:1", "mmtd"), ("stratified:2/3", "stratified")])
def test_split_is_declared_in_the_schema_and_a_malformed_one_is_refused(world, stand_in, tmp_path, split, method):
    from reportgen.errors import ResultsError
    from reportgen.results.io import validate_results

    out = tmp_path / "out"
    result = _invoke("analyze", *_args(world, out, "--split", split, "--samples", "1:1"))
    assert result.exit_code == 0, result.output
    results = load_results(out / "results.json")  # validates against the schema
    written = results["dataset"]["split"]
    assert written["method"] == method and written["n_used"] == len(results["predictions"])
    for path, value in [(("fold",), "one"), (("method",), "random"), (("n_fold_rows",), -1),
                        (("derivation",), None), (("surprise",), 1)] + (
            [(("row_count_check", "ok"), "yes"), (("folds",), 4)] if method == "mmtd" else [(("first_row",), 0)]):
        broken = json.loads(json.dumps(results))
        where = broken["dataset"]["split"]
        for key in path[:-1]:
            where = where[key]
        if value is None:
            where.pop(path[-1])
        else:
            where[path[-1]] = value
        with pytest.raises(ResultsError, match="dataset/split"):
            validate_results(broken)


def test_selection_options_combine_and_rows_alone_explain_those_rows(world, stand_in, tmp_path):
    out = tmp_path / "out"
    result = _invoke("analyze", *_args(world, out, "--samples", "1:0", "--explain-rows", "9,4",
                                       "--least-confident", "1"))
    assert result.exit_code == 0, result.output
    samples = load_results(out / "results.json")["samples"]
    reasons = {s["row"]: s["reason"] for s in samples}
    assert reasons[9].startswith("requested row") and reasons[4].startswith("requested row")
    assert any("random spam" in r for r in reasons.values()) and any("least confident" in r for r in reasons.values())
    assert 3 <= len(samples) <= 4

    out2 = tmp_path / "out2"
    assert _invoke("analyze", *_args(world, out2, "--rows", "7,2")).exit_code == 0
    results = load_results(out2 / "results.json")
    assert [p["row"] for p in results["predictions"]] == [7, 2]
    assert [(s["row"], s["reason"]) for s in results["samples"]] == [(2, "requested row"), (7, "requested row")]


def test_deterministic_reruns_are_byte_identical(world, stand_in, tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    out = tmp_path / "out"
    assert _invoke("analyze", *_args(world, out, "--deterministic")).exit_code == 0
    first = (out / "results.json").read_bytes()
    assert _invoke("analyze", *_args(world, out, "--deterministic")).exit_code == 0
    assert (out / "results.json").read_bytes() == first
    generator = json.loads(first)["generator"]
    assert generator["created"] is None and "timings" not in generator
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert _invoke("analyze", *_args(world, out, "--deterministic")).exit_code == 0
    assert load_results(out / "results.json")["generator"]["created"] == "2023-11-14T22:13:20Z"


def test_run_format_json_writes_only_results(world, stand_in, tmp_path):
    out = tmp_path / "out"
    result = _invoke("run", *_args(world, out, "--format", "json", "--samples", "1:1"))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [".reportgen-manifest.json", "results.json"]
    assert len(load_results(out / "results.json")["samples"]) == 2


def test_run_rejects_an_unknown_format_before_any_work(world, tmp_path):
    out = tmp_path / "out"
    result = _invoke("run", *_args(world, out, "--format", "json,docx"))
    assert result.exit_code == 2 and "unknown format docx" in result.output
    assert not out.exists()


@pytest.mark.parametrize("extra,message", [
    # Names the option the user typed, not --rows (regression: it said "--rows: row 99 ...").
    (("--explain-rows", "99"), "--explain-rows: row 99 is not among the 10 predicted rows (the 0-based CSV data "
                               "rows selected by --rows/--split"),
    (("--samples", "three"), "expected N_SPAM:N_HAM"),
])
def test_bad_selection_is_one_line_and_writes_nothing(world, stand_in, tmp_path, extra, message):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["analyze", *_args(world, out, *extra)])
    assert result.exit_code != 0 and message in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not out.exists()


def test_failure_after_analysis_leaves_out_untouched(world, stand_in, tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("old")

    def broken_save(results, path):
        Path(path).write_text("half")
        raise OSError("disk full")

    monkeypatch.setattr("reportgen.results.io.save_results", broken_save)
    result = CliRunner().invoke(main, ["analyze", *_args(world, out)])
    assert result.exit_code != 0
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging folder left behind


def test_picture_is_downscaled_to_800_px():
    image = Image.new("RGB", (1000, 300), "white")
    uri = analyze.picture_data_uri(image)
    decoded = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    assert decoded.size == (800, 240)
    assert analyze.picture_data_uri(image) == uri  # reproducible bytes


def test_help_explains_every_option():
    for name in ("analyze", "run"):
        result = CliRunner().invoke(main, [name, "--help"])
        assert result.exit_code == 0
        command = main.get_command(None, name)
        for param in command.params:
            if hasattr(param, "help") and param.name != "help":
                assert param.help, f"{name} {param.opts} has no help"
        for option in ("--samples", "--misclassified", "--ig-steps", "--image-baseline", "--top-k", "--deterministic"):
            assert option in result.output
    assert "--format" in CliRunner().invoke(main, ["run", "--help"]).output


def test_real_attribution_end_to_end(world, tmp_path, monkeypatch):
    pytest.importorskip("reportgen.explain.ig")
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    out = tmp_path / "out"
    args = _args(world, out, "--samples", "1:1", "--ig-steps", "8", "--deterministic")
    result = _invoke("analyze", *args)
    assert result.exit_code == 0, result.output
    first = (out / "results.json").read_bytes()
    results = load_results(out / "results.json")
    assert len(results["samples"]) == 2
    for sample in results["samples"]:
        assert len(sample["token_scores"]) == len(sample["tokens"])
        side = 32 // 8  # tiny model: 32 px pictures, 8 px patches
        assert len(sample["image_scores"]) == side and all(len(r) == side for r in sample["image_scores"])
        shapley = sample["modality"]["shapley"]
        assert shapley["text"] + shapley["image"] == pytest.approx(shapley["f_full"] - shapley["f_none"], abs=1e-4)
        ig = sample["integrated_gradients"]
        total = sum(sample["token_scores"]) + sum(map(sum, sample["image_scores"]))
        # completeness: the attributions add up to f(input) - f(baseline) up to the recorded delta
        assert abs(total - (ig["f_input"] - ig["f_baseline"])) <= abs(ig["delta"]) + 1e-5
    assert _invoke("analyze", *args).exit_code == 0
    assert (out / "results.json").read_bytes() == first


def test_run_renders_html_next_to_results(world, stand_in, tmp_path):
    pytest.importorskip("reportgen.report.render")
    out = tmp_path / "out"
    result = _invoke("run", *_args(world, out, "--format", "json,html", "--samples", "1:1", "--deterministic"))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [".reportgen-manifest.json", "report.html", "results.json"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    rows = [s["row"] for s in load_results(out / "results.json")["samples"]]
    assert all(f"{row}" in html for row in rows)


def test_unlabelled_data_has_no_metrics_and_draws_by_prediction(world, stand_in, tmp_path):
    csv, pics = write_edp(tmp_path / "edp", n=6, with_labels=False)
    out = tmp_path / "out"
    args = _args(world, out, "--samples", "1:1")
    args[args.index("--data") + 1], args[args.index("--images") + 1] = str(csv), str(pics)
    result = _invoke("analyze", *args)
    assert result.exit_code == 0, result.output
    results = load_results(out / "results.json")
    assert results["metrics"] is None
    assert all(p["label"] is None for p in results["predictions"])
    assert all(s["outcome"] is None and s["reason"].startswith("random predicted") for s in results["samples"])


def test_skipped_rows_are_reported_in_dataset_and_warnings(world, stand_in, tmp_path):
    csv, pics = write_edp(tmp_path / "edp", n=8, missing=[5])
    out = tmp_path / "out"
    args = _args(world, out, "--skip-invalid", "--samples", "1:1")
    args[args.index("--data") + 1], args[args.index("--images") + 1] = str(csv), str(pics)
    result = _invoke("analyze", *args)
    assert result.exit_code == 0, result.output
    results = load_results(out / "results.json")
    assert [s["row"] for s in results["dataset"]["skipped"]] == [5]
    assert 5 not in [p["row"] for p in results["predictions"]] and len(results["predictions"]) == 7
    assert any("1 row skipped" in w for w in results["aggregate"]["warnings"])


def test_help_does_not_import_torch():
    import subprocess
    import sys

    code = ("import sys\nfrom click.testing import CliRunner\nfrom reportgen.cli import main\n"
            "r = CliRunner().invoke(main, ['run', '--help'])\nassert r.exit_code == 0, r.output\n"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_rows_with_a_skipped_row_explain_the_remaining_rows(world, stand_in, tmp_path):
    csv, pics = write_edp(tmp_path / "edp", n=6, missing=[4])
    out = tmp_path / "out"
    args = _args(world, out, "--rows", "1,4,2", "--skip-invalid")
    args[args.index("--data") + 1], args[args.index("--images") + 1] = str(csv), str(pics)
    result = _invoke("analyze", *args)
    assert result.exit_code == 0, result.output
    assert [s["row"] for s in load_results(out / "results.json")["samples"]] == [1, 2]


def test_no_samples_still_gives_a_valid_report_with_predictions(world, stand_in, tmp_path):
    out = tmp_path / "out"
    result = _invoke("analyze", *_args(world, out, "--samples", "0:0"))
    assert result.exit_code == 0, result.output
    results = load_results(out / "results.json")
    assert results["samples"] == [] and len(results["predictions"]) == 10
    # No explained e-mail, but the verdict still rests on every prediction.
    assert results["aggregate"]["verdict"]["n"] + results["aggregate"]["verdict"]["n_decided_by_default"] == 10
    assert results["aggregate"]["top_words"] == {"spam": [], "ham": []}


def test_bad_source_date_epoch_is_one_line(world, stand_in, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["analyze", *_args(world, out, "--samples", "1:0")])
    assert result.exit_code == 1 and "SOURCE_DATE_EPOCH='yesterday' is not an integer" in result.output
    assert not out.exists()


def test_bad_attention_layer_fails_before_any_prediction(world, tmp_path, monkeypatch):
    # Regression: --attention-layer was only checked inside the first explanation, after predicting every row.
    def no_predict(*args, **kwargs):
        raise AssertionError("predict ran before the options were checked")

    monkeypatch.setattr("reportgen.analysis.predict.predict", no_predict)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["analyze", *_args(world, out, "--attention-layer", "9")])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].startswith("Error: --attention-layer 9: the text encoder has")
    assert not out.exists()


# -- output safety: never delete what reportgen did not write; staging cleaned up (issue 12) --------


def _error_lines(result) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith("Error: ")]


def test_export_assets_never_deletes_the_users_pictures_in_out_assets(world, stand_in, tmp_path):
    # Regression: publishing replaced OUT/assets with shutil.rmtree, deleting --images OUT/assets/pics.
    out = tmp_path / "out"
    pics = out / "assets" / "pics"
    shutil.copytree(world["pics"], pics)
    before = {p.name: p.read_bytes() for p in pics.iterdir()}
    args = _args(world, out, "--format", "json", "--export-assets", "--samples", "1:1")
    args[args.index("--images") + 1] = str(pics)
    result = CliRunner().invoke(main, ["run", *args])
    assert result.exit_code == 1, result.output
    assert len(_error_lines(result)) == 1 and "exists and was not written by reportgen" in result.output
    assert {p.name: p.read_bytes() for p in pics.iterdir()} == before
    assert sorted(p.name for p in out.iterdir()) == ["assets"] and list(tmp_path.iterdir()) == [out]


def test_a_second_run_into_the_same_out_replaces_only_reportgens_files(world, stand_in, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    # No e-mail explained: the assets folder then holds the aggregate charts and tables only, which is
    # all this test needs of it (drawing and exporting a card's charts twice cost most of its time).
    args = _args(world, out, "--format", "json", "--export-assets", "--samples", "0:0", "--deterministic")
    assert _invoke("run", *args).exit_code == 0
    first = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert any(p.parts[0] == "assets" for p in first)
    second = _invoke("run", *args)
    assert second.exit_code == 0, second.output
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == first
    # Once the user edits the report it is theirs: the next run refuses instead of overwriting it.
    (out / "results.json").write_text("my annotated copy", encoding="utf-8")
    third = CliRunner().invoke(main, ["run", *args])
    assert third.exit_code == 1 and "results.json exists and was not written by reportgen" in third.output
    assert (out / "results.json").read_text(encoding="utf-8") == "my annotated copy"
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"


#: `reportgen run` whose analysis stops (after loading the model) until a signal arrives.
_STUCK_RUN = """
import sys, time
import {module} as pipeline

def stuck(*args, **kwargs):
    print("analysing", flush=True)
    time.sleep(600)

pipeline.run_analysis = stuck
from reportgen.cli import main
main(sys.argv[1:], prog_name="reportgen")
"""


def _start_stuck_run(world, out):
    command = [sys.executable, "-c", _STUCK_RUN.format(module=analyze.__name__), "run",
               *_args(world, out, "--format", "json")]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "HF_HUB_OFFLINE": "1"})
    line = process.stdout.readline()  # returns once the (stand-in) analysis runs, or at exit
    if line != "analysing\n":
        process.kill()
        pytest.fail(f"the run did not reach the analysis: {process.communicate()}")
    return process


def _staging_folders(folder):
    return sorted(p for p in folder.iterdir() if p.name.startswith(".out.reportgen-"))


def test_sigterm_removes_the_staging_folder_and_exits_non_zero(world, tmp_path):
    # Regression: SIGTERM killed the run outright and could leave OUT/.out.XXXX.tmp/ behind.
    out = tmp_path / "out"
    process = _start_stuck_run(world, out)
    try:
        assert len(_staging_folders(tmp_path)) == 1  # created with the output check, before the model
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 143
    assert stderr.strip().splitlines()[-1] == "Error: terminated (SIGTERM); unfinished output was removed"
    assert list(tmp_path.iterdir()) == []


def test_staging_left_by_a_killed_run_is_removed_by_the_next_run(world, stand_in, tmp_path):
    out = tmp_path / "out"
    process = _start_stuck_run(world, out)
    process.kill()  # SIGKILL cannot be handled: its staging folder stays
    process.communicate(timeout=60)
    assert len(_staging_folders(tmp_path)) == 1
    not_ours = [tmp_path / ".out.abcdefgh.tmp", tmp_path / f".notes.reportgen-{process.pid}-abcdefgh.tmp"]
    for folder in not_ours:
        folder.mkdir()
    result = _invoke("analyze", *_args(world, out, "--samples", "1:1"))
    assert result.exit_code == 0, result.output
    assert _staging_folders(tmp_path) == [] and all(folder.is_dir() for folder in not_ours)
    assert (out / "results.json").is_file()
