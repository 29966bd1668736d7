"""GradientSHAP (Captum), off by default: --method gradient_shap, results.json, the card's agreement line."""

from __future__ import annotations

import random

import jsonschema
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import ImageDraw

from reportgen.cli import EXIT_USAGE, main
from reportgen.errors import ReportgenError
from reportgen.explain.registry import explain_sample, method_parameters, methods
from reportgen.options import OPTIONAL_METHODS, AnalysisOptions, ExplainOptions
from reportgen.report import build_document
from reportgen.report.document import Paragraph, Table
from reportgen.results.io import load_results, load_schema
from tests.planted import one_thread, trained  # noqa: F401 (fixtures)
from tests.planted import PATCH, SPAM_WORDS, planted_email
from tests.test_analyze_cli import _args, _invoke, stand_in, world  # noqa: F401 (fixtures)

#: Few samples keep the tests quick; the scores are a seeded Monte Carlo mean either way.
SAMPLES = 16


def _explain(trained, text, picture, **options):
    encoded = trained.preprocessor.encode([text], [picture])
    explain = ExplainOptions(ig_steps=16, methods=("gradient_shap",), gshap_samples=SAMPLES, **options)
    return encoded, explain_sample(trained.model, encoded, trained.preprocessor.special_ids, explain,
                                   ("gradient_shap",), text=text, preprocessor=trained.preprocessor)


def test_it_is_off_by_default_and_named_in_the_cli_list_of_optional_methods(trained):
    text, picture = planted_email(random.Random(1), True, False)
    encoded = trained.preprocessor.encode([text], [picture])
    result = explain_sample(trained.model, encoded, trained.preprocessor.special_ids, ExplainOptions(ig_steps=8),
                            text=text, preprocessor=trained.preprocessor)
    assert "gradient_shap" not in result and "occlusion" in result
    assert "gradient_shap" not in method_parameters(ExplainOptions())  # the methods appendix says nothing of it
    assert method_parameters(ExplainOptions(methods=("gradient_shap",)))["gradient_shap"]["n_samples"] == 32
    # --help lists the optional methods without importing the registry: the two lists must be the same.
    assert {name for name, method in methods().items() if not method.default} == set(OPTIONAL_METHODS)


def test_the_planted_spam_word_leads_with_the_sign_ig_gives_it(trained):
    rng = random.Random(11)
    for _ in range(3):
        text, picture = planted_email(rng, True, False)
        encoded, result = _explain(trained, text, picture)
        words = _ig_words(trained, encoded, result)
        shap = result["gradient_shap"]["word_scores"]
        agreement = result["gradient_shap"]["agreement"]["text"]
        assert len(shap) == len(words) == agreement["n"]
        planted = next(i for i, word in enumerate(words) if word["text"] in SPAM_WORDS)
        # both methods push the planted word toward spam, and GradientSHAP ranks it first
        assert shap[planted] > 0 and words[planted]["score"] > 0
        assert max(range(len(words)), key=lambda i: shap[i]) == planted
        assert agreement["top5_overlap"] >= 0.6 and agreement["spearman"] > 0.5


def _ig_words(trained, encoded, result):
    """The words as the report shows them, with their Integrated Gradients scores."""
    from reportgen.explain.words import merge_wordpieces

    n = int(encoded["attention_mask"][0].sum())
    tokens = trained.preprocessor.tokenizer.convert_ids_to_tokens(encoded["input_ids"][0, :n].tolist())
    return merge_wordpieces(tokens, result["token_scores"])


def test_scores_are_reproducible_and_leave_the_global_random_state_alone(trained):
    text, picture = planted_email(random.Random(5), True, True)
    np.random.seed(123)  # Captum draws from NumPy's global generator: a caller's draws must not change
    state = np.random.get_state()
    _, first = _explain(trained, text, picture)
    after = np.random.get_state()
    assert after[0] == state[0] and np.array_equal(after[1], state[1]) and after[2:] == state[2:]
    _, second = _explain(trained, text, picture)
    assert first["gradient_shap"] == second["gradient_shap"]  # same seed, same machine: bit for bit
    # a different baseline noise changes the draws (the seed is not ignored)
    _, noisier = _explain(trained, text, picture, gshap_noise=0.5)
    assert noisier["gradient_shap"]["image_scores"] != first["gradient_shap"]["image_scores"]


def test_parts_that_equal_the_baseline_score_exactly_zero(trained):
    text, picture = planted_email(random.Random(3), False, True)
    ImageDraw.Draw(picture).rectangle((0, 0, 4 * PATCH - 1, 2 * PATCH - 1), fill=(255, 255, 255))  # top half white
    _, result = _explain(trained, text, picture, gshap_noise=0.3)
    grid = result["gradient_shap"]["image_scores"]
    assert len(grid) == 4 and all(len(row) == 4 for row in grid)
    # white patches under the white baseline: no noise is added there, so nothing to attribute
    assert grid[0] == [0.0] * 4 and grid[1] == [0.0] * 4
    assert any(v != 0.0 for row in grid[2:] for v in row)
    # the block is what the schema declares
    schema = load_schema()
    jsonschema.validate(result["gradient_shap"], {"$defs": schema["$defs"], "$ref": "#/$defs/gradient_shap"})


def test_run_with_method_writes_valid_results_and_the_report_shows_the_agreement(world, tmp_path):
    pytest.importorskip("reportgen.report.render")
    out = tmp_path / "out"
    args = _args(world, out, "--samples", "1:1", "--ig-steps", "8", "--method", "gradient_shap",
                 "--gshap-samples", "8", "--format", "json,html", "--deterministic")
    result = _invoke("run", *args)
    assert result.exit_code == 0, result.output
    results = load_results(out / "results.json")  # validated against the schema
    assert "--method gradient_shap" in results["generator"]["command"]
    assert results["generator"]["options"]["methods"] == ["gradient_shap"]
    assert results["methods"]["gradient_shap"]["n_samples"] == 8
    document = build_document(results, workers=1)
    html = (out / "report.html").read_text(encoding="utf-8")
    for sample, card in zip(results["samples"], document.samples):
        shap = sample["gradient_shap"]
        assert len(shap["word_scores"]) == len(sample["words"])
        assert len(shap["image_scores"]) == len(sample["image_scores"])
        line = next(b.text for b in card.blocks if isinstance(b, Paragraph) and "GradientSHAP" in b.text)
        assert line.startswith("Second opinion from GradientSHAP (8 samples around the baseline): rank correlation "
                               "with Integrated Gradients")
        for modality, units in (("text", "words"), ("image", "picture patches")):
            agreement = shap["agreement"][modality]
            if agreement["spearman"] is not None:
                assert f"{agreement['spearman']:.2f} for the {units}" in line
        assert "from the baseline" in line
        assert line.split(": ", 1)[1][:40] in html
    tables = {b.name: b for b in document.section("methods").blocks if isinstance(b, Table)}
    settings = dict((row[0], row[1]) for row in tables["methods_gradient_shap"].rows)
    assert settings["n_samples"] == 8 and "GradientShap" in settings["implementation"]
    assert tables["methods_gradient_shap"].caption == "GradientSHAP settings"


def test_without_the_switch_nothing_of_it_is_written(world, stand_in, tmp_path):
    out = tmp_path / "out"
    assert _invoke("analyze", *_args(world, out, "--samples", "1:0")).exit_code == 0
    results = load_results(out / "results.json")
    assert "gradient_shap" not in results["methods"] and results["generator"]["options"]["methods"] == []
    assert all("gradient_shap" not in sample for sample in results["samples"])


def test_an_unknown_method_is_one_usage_line_naming_the_known_ones(world, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["analyze", *_args(world, out, "--method", "kernel_shap")])
    assert result.exit_code == EXIT_USAGE == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "kernel_shap" in lines[0] and "gradient_shap" in lines[0], result.output
    assert not out.exists()
    with pytest.raises(ReportgenError, match="'kernel_shap'.*gradient_shap"):
        ExplainOptions(methods=("kernel_shap",))
    # From Python one name may be a plain string.
    assert AnalysisOptions.from_kwargs({"methods": "gradient_shap"}).explain.methods == ("gradient_shap",)


def test_help_lists_the_optional_methods_and_a_config_file_may_name_them(world, stand_in, tmp_path):
    text = " ".join(CliRunner().invoke(main, ["run", "--help"], terminal_width=100).output.split())
    assert "--method NAME" in text and "gradient_shap: GradientSHAP" in text
    config = tmp_path / "reportgen.toml"
    config.write_text('method = ["gradient_shap"]\n')
    out = tmp_path / "out"
    result = _invoke("analyze", "--config", str(config), *_args(world, out, "--samples", "1:0"))
    assert result.exit_code == 0, result.output
    generator = load_results(out / "results.json")["generator"]
    assert generator["options"]["methods"] == ["gradient_shap"]
