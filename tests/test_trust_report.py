"""The report's "Can these explanations be trusted?" parts, built from results.json alone."""

from __future__ import annotations

import copy
import functools
import re
import warnings

import pytest

from reportgen.analysis.sanity import STAGES
from reportgen.analysis.sanity import describe as describe_sanity
from reportgen.explain.faithfulness import FRACTIONS, RANDOM_DRAWS, summarise
from reportgen.explain.faithfulness import describe as describe_faithfulness
from reportgen.explain.occlusion import describe as describe_occlusion
from reportgen.options import ExplainOptions
from reportgen.report import build_document
from reportgen.report.sections.trust import trust_sentences
from reportgen.report.document import Figure, Paragraph, Report, Table
from reportgen.results.io import validate_results
from tests.results_fixture import make_results

warnings.filterwarnings("ignore", message="Glyph .* missing from font")


def _curves(units: str, n: int, strength: float, passed: bool | None) -> dict:
    deletion = [strength * k * 4 for k in FRACTIONS]
    random_deletion = [strength * k for k in FRACTIONS]
    if passed is False:
        deletion = [0.0] * len(FRACTIONS)
    at = FRACTIONS.index(0.10)
    return {
        "units": units, "n_units": n, "fractions": list(FRACTIONS), "counts": [max(1, round(k * n)) for k in FRACTIONS],
        "deletion": deletion, "insertion": [d * 0.8 for d in deletion], "random_deletion": random_deletion,
        "random_insertion": [d * 0.5 for d in random_deletion], "aopc": sum(deletion) / 4,
        "aopc_random": sum(random_deletion) / 4, "f_full": 3.0, "f_none": 3.0 - strength,
        **({"n_blank": 3} if units == "patches" else {}),
        "check": {"fraction": 0.10, "deletion": deletion[at], "random_deletion": random_deletion[at],
                  "random_movement": 0.0 if passed is None else strength / 4, "passed": passed},
    }


#: Last-stage Spearman per checked e-mail (text, image) for each sanity outcome the tests build.
_SANITY = {"passed": ([0.1, -0.2], [0.1, -0.2]), "failed": ([0.95, 0.9], [0.95, 0.9]),
           "mixed": ([0.02, -0.1], [-0.51, -0.76])}


def with_checks(results: dict, *, sanity: str = "passed") -> dict:
    """``results`` with faithfulness, occlusion and sanity blocks as analyze writes them (plain data)."""
    results = copy.deepcopy(results)
    verdicts = [True, True, False, None]
    for i, sample in enumerate(results["samples"]):
        grid = sample["image_scores"]
        sample["faithfulness"] = {
            "predicted": "spam" if sample["prediction"] == 1 else "ham",
            "text": _curves("words", len(sample["words"]), 2.0, verdicts[i % 4]),
            "image": _curves("patches", len(grid) * len(grid[0]) - 3, 0.5, verdicts[(i + 1) % 4]),
        }
        sample["occlusion"] = {
            "word_scores": [w["score"] * 0.9 for w in sample["words"]],
            "image_scores": [[v * 1.1 for v in row] for row in grid],
            "agreement": {"text": {"n": len(sample["words"]), "spearman": 0.8, "top5_overlap": 0.6},
                          "image": {"n": len(grid) * len(grid[0]), "spearman": 0.5, "top5_overlap": 0.4}},
        }
    results["aggregate"]["faithfulness"] = summarise(results["samples"])
    options = ExplainOptions()
    results["methods"].update(faithfulness=describe_faithfulness(options), occlusion=describe_occlusion(options),
                              sanity=describe_sanity(options))
    text, image = _SANITY[sanity]
    verdicts = {"text": max(map(abs, text)) < 0.5, "image": max(map(abs, image)) < 0.5}
    results["aggregate"]["sanity"] = {
        "randomisation": [{"stage": name, "text_spearman": sum(text) / 2, "image_spearman": sum(image) / 2,
                           "per_sample": {"text": text, "image": image}} for name, _ in STAGES],
        "passed": all(verdicts.values()), "verdicts": verdicts, "rule": "passed when …", "n_samples": 2,
    }
    validate_results(results)
    return results


@pytest.fixture(scope="module")
def results() -> dict:
    return with_checks(make_results(4, n_predictions=20))


@pytest.fixture(scope="module")
def document(results: dict) -> Report:
    return build_document(results)


@functools.cache
def _sanity_report(sanity: str) -> Report:
    """The report of three e-mails whose randomisation check ended ``sanity`` ("passed", "failed" or "mixed"),
    built once per outcome for the tests below that only read it (each build draws every chart)."""
    return build_document(with_checks(make_results(3, n_predictions=10), sanity=sanity))


def _text(blocks) -> str:
    return " ".join(b.text for b in blocks if isinstance(b, Paragraph))


def test_summary_answers_the_trust_question_with_the_numbers_shown_below(results: dict, document: Report) -> None:
    summary = _text(document.section("summary").blocks)
    words = results["aggregate"]["faithfulness"]["text"]
    assert "Can these explanations be trusted?" in summary
    assert f"{words['ratio']:.1f}× as much as removing random words" in summary
    assert f"the check passes for {words['passed']} of {words['passed'] + words['failed']} e-mails" in summary
    assert ("the explanations change clearly when the model's weights are randomised (rank correlation with the "
            "original 0.20 at most in size), as they should") in summary
    # the same numbers are in the trust section's table, one row per e-mail
    table = next(b for b in document.section("trust").blocks if isinstance(b, Table) and b.name == "trust_per_sample")
    assert [row[0] for row in table.rows] == [s["row"] for s in results["samples"]]
    verdicts = [row[3] for row in table.rows]
    assert verdicts.count("passed") == words["passed"] and verdicts.count("failed") == words["failed"]


def test_a_failed_randomisation_check_is_said_plainly() -> None:
    document = _sanity_report("failed")
    summary = _text(document.section("summary").blocks)
    assert "the explanations keep their pattern when the model's weights are randomised (rank correlation " \
           "+0.95 with the original)" in summary
    assert "rather than what the model learnt" in summary and "as they should" not in summary


def test_a_picture_map_that_only_flips_sign_is_not_called_changed() -> None:
    document = _sanity_report("mixed")
    summary = _text(document.section("summary").blocks)
    assert ("the word explanations change completely when the model's weights are randomised (rank correlation "
            "with the original 0.10 at most in size), as they should, but the picture explanations keep their "
            "pattern, only with its sign flipped, when the model's weights are randomised (rank correlation "
            "\u22120.76 with the original)") in summary
    assert "the explanations change" not in summary  # no blanket claim: the picture kept its pattern
    methods = _text(document.section("methods").blocks)
    assert "Result: words passed; picture patches failed." in methods
    chart = next(b for b in document.section("methods").blocks
                 if isinstance(b, Figure) and b.name == "sanity_randomisation")
    assert ("Here: the words end within 0.10 of 0 (passed); the picture patches end as far out as \u22120.76 "
            "(failed).") in chart.caption


def test_trust_section_shows_mean_curves_with_what_good_looks_like(document: Report) -> None:
    section = document.section("trust")
    assert [s.id for s in document.sections] == ["summary", "aggregate", "trust", "samples", "methods",
                                                 "reproducibility"]
    figure = next(b for b in section.blocks if isinstance(b, Figure))
    assert figure.name == "trust_deletion" and "Good:" in figure.caption and figure.src.startswith("data:image/svg")
    assert "median Spearman correlation" in _text(section.blocks)


def test_each_card_has_its_curves_and_occlusion_agreement(results: dict, document: Report) -> None:
    for card, sample in zip(document.samples, results["samples"]):
        names = {b.name for b in card.blocks if isinstance(b, (Figure, Table))}
        row = f"row-{card.row:05d}"  # an e-mail's blocks (and asset files) are named by its data row
        assert {f"{row}-faithfulness", f"{row}-occlusion"} <= names
        curves = next(b for b in card.blocks if isinstance(b, Figure) and b.name == f"{row}-faithfulness")
        assert "Good:" in curves.caption
        check = sample["faithfulness"]["text"]["check"]
        assert f"{check['deletion']:+.2f} vs random {check['random_deletion']:+.2f}" in curves.caption
        agreement = next(b for b in card.blocks if isinstance(b, Table) and b.name == f"{row}-occlusion")
        assert [row[:3] for row in agreement.rows] == [["Words", 0.8, 0.6], ["Picture patches", 0.5, 0.4]]


def test_methods_appendix_states_every_parameter_and_shows_the_randomisation(document: Report) -> None:
    blocks = document.section("methods").blocks
    tables = {b.name: b for b in blocks if isinstance(b, Table)}
    faithfulness = dict((row[0], row[1]) for row in tables["methods_faithfulness"].rows)
    assert faithfulness["random_draws"] == RANDOM_DRAWS
    assert faithfulness["fractions"] == ", ".join(str(f) for f in FRACTIONS)
    assert {"methods_occlusion", "methods_sanity"} <= set(tables)
    figure = next(b for b in blocks if isinstance(b, Figure) and b.name == "sanity_randomisation")
    assert "Good:" in figure.caption
    text = _text(blocks)
    assert "Adebayo" in text and "DeYoung" in text
    occlusion = dict((row[0], row[1]) for row in tables["methods_occlusion"].rows)
    assert occlusion["patch_fill"].endswith("(white)") and "FeatureAblation" in occlusion["implementation"]


def test_without_checks_there_is_no_trust_section_and_the_summary_says_so() -> None:
    document = build_document(make_results(2, n_predictions=10))
    assert "trust" not in [s.id for s in document.sections]
    summary = _text(document.section("summary").blocks)
    assert "not checked for faithfulness (--no-faithfulness)" in summary
    assert re.search(r"randomisation check was not run", summary)


def test_a_small_effect_is_worded_with_its_direction_not_a_plus_sign():
    """Without a meaningful ratio the sentence gives sizes: "lowers … by 0.17", and says so when random
    removal raised the confidence instead (a "+0.17" change read as a rise to readers)."""
    from reportgen.report.sections.trust import _short_clause

    entry = {"passed": 4, "failed": 3, "n": 15, "ratio": None,
             "deletion": [0.1, 0.17, 0.3, 0.5], "random_deletion": [0.0, -0.01, 0.0, 0.0]}
    clause = _short_clause("image", entry, 1, 0.10, True)
    assert "lowers the model's confidence by 0.17 log-odds" in clause
    assert "raises it by 0.01" in clause
    assert "+0.17" not in clause


def _maps(card) -> dict[str, object]:
    """A card's word map and picture maps by kind."""
    from reportgen.report.document import HighlightedText

    row = f"row-{card.row:05d}"
    named = {b.name: b for b in card.blocks if isinstance(b, (Figure, HighlightedText))}
    return {"text": named[f"{row}-words"], "image": named[f"{row}-image_ig"], "occlusion": named[f"{row}-occlusion"]}


@pytest.mark.parametrize("sanity, failed", [("passed", set()), ("mixed", {"image"}), ("failed", {"text", "image"})])
def test_each_cards_maps_carry_the_randomisation_caveat_exactly_when_their_modality_failed(sanity, failed) -> None:
    results = with_checks(make_results(3, n_predictions=10), sanity=sanity)
    assert {m for m, v in results["aggregate"]["sanity"]["verdicts"].items() if v is False} == failed
    document = _sanity_report(sanity)  # the report of these results
    assert len(document.samples) == 3
    for card in document.samples:
        maps = _maps(card)
        assert ("Read with care: the model-randomisation check failed for words" in maps["text"].caption) \
            == ("text" in failed)
        picture_caveat = "Read with care: the model-randomisation check failed for pictures"
        for key in ("image", "occlusion"):
            assert (picture_caveat in maps[key].caption) == ("image" in failed), maps[key].caption
            # a screen reader hears the same caveat as a sighted reader reads
            assert (picture_caveat in maps[key].alt) == ("image" in failed)
        assert ("partly shows where the picture is not blank" in maps["image"].caption) == ("image" in failed)
        # with the caveat, the caption no longer calls the map where the model found evidence
        assert ("Where in the picture the model found evidence" in maps["image"].caption) == ("image" not in failed)
        # the check re-ran Integrated Gradients: the occlusion map's caveat says it was not run on occlusion
        assert ("not on this one" in maps["occlusion"].caption) == ("image" in failed)


@pytest.mark.parametrize("verdicts", [{"text": None, "image": None}, None])
def test_no_caveat_when_the_check_compared_nothing_or_did_not_run(verdicts) -> None:
    results = with_checks(make_results(2, n_predictions=10), sanity="failed")
    if verdicts is None:
        del results["aggregate"]["sanity"]
    else:
        results["aggregate"]["sanity"].update(verdicts=verdicts, passed=None)
    validate_results(results)
    for card in build_document(results).samples:
        assert not any("Read with care" in m.caption or "Read with care" in getattr(m, "alt", "")
                       for m in _maps(card).values())


def test_methods_appendix_names_the_stages_that_ran_and_their_cost() -> None:
    document = _sanity_report("passed")
    text = _text(document.section("methods").blocks)
    assert ("7 cumulative stages randomise the weights from the top down (classifier, pooler, fusion layer, top "
            "encoder layer, top half of the encoder layers, all encoder layers, embeddings)") in text
    assert "after the last stage every weight the score depends on is random" in text
    assert "8 Integrated Gradients runs of 8 nodes per checked sample" in text
    chart = next(b for b in document.section("methods").blocks
                 if isinstance(b, Figure) and b.name == "sanity_randomisation")
    assert "ends inside the band ±0.5 at the last stage (embeddings)" in chart.caption


def test_a_check_of_evidence_against_the_decision_is_worded_as_a_rise_and_marked_in_the_table() -> None:
    # A ham decision whose picture only pushed toward spam: the check removed the top spam patches and the
    # ham log-odds rose by 0.70 (random 10 %: 0.05). The card must not read this as a drop that failed.
    changed = with_checks(make_results(2, n_predictions=10))  # two cards to draw, not the module's four
    sample = changed["samples"][0]
    sample["faithfulness"]["predicted"] = "ham"
    sample["faithfulness"]["image"]["check"].update(direction="against", deletion=-0.70, random_deletion=-0.05,
                                                    random_movement=0.1, passed=True)
    changed["aggregate"]["faithfulness"] = summarise(changed["samples"])
    validate_results(changed)
    document = build_document(changed)
    card = document.samples[0]
    curves = next(b for b in card.blocks if isinstance(b, Figure) and b.name.endswith("-faithfulness"))
    assert ("the patches hold no evidence for ham, so the check removed the top 10 % toward spam: the ham log-odds "
            "change by +0.70, by +0.05 for 10 % at random (good: a clearly larger rise; passed)") in curves.caption
    table = next(t for s in document.sections for t in s.blocks
                 if isinstance(t, Table) and t.name == "trust_per_sample")
    assert table.rows[0][6] == "passed (against)" and "“(against)”" in table.caption
    picture = changed["aggregate"]["faithfulness"]["image"]
    judged = picture["passed"] + picture["failed"]
    assert picture["against"] == 1
    assert (f"for 1 of the {judged} the explanation found only evidence against the decision in the picture "
            "patches, and the check tested that instead") in " ".join(trust_sentences(changed))
