"""Aggregates: the verdict with its interval, groups, IG agreement, top words, warnings (no torch needed)."""

from __future__ import annotations

import sys

import pytest

from reportgen.analysis.aggregate import aggregate, groups, prediction_claims, top_words, verdict


def _prediction(row, text, image, f_none=0.0, label=None, language=None):
    f_full = f_none + text + image
    record = {"row": row, "label": label, "prediction": int(f_full > 0), "logit_ham": 0.0, "logit_spam": f_full,
              "shapley": {"text": text, "image": image, "f_none": f_none, "f_full": f_full}}
    if language:
        record["language"] = language
    record.update(prediction_claims(record))
    return record


def _sample(row, label, prediction, ig=(3.0, 1.0), shapley=(3.0, 1.0), words=(), f_input=4.0, f_baseline=0.0,
            delta=0.0, image_scores=((0.0,),)):
    from reportgen.explain.modality import modality_contributions

    ig_result = {"text_total": ig[0], "image_total": ig[1], "f_input": f_input, "f_baseline": f_baseline,
                 "delta": delta}
    flagged = abs(delta) > max(0.05 * abs(f_input - f_baseline), 0.01)
    return {
        "row": row, "label": label, "prediction": prediction,
        "words": [{"text": t, "score": s} for t, s in words],
        "image_scores": [list(r) for r in image_scores],
        "integrated_gradients": {"n_steps": 16, "method": "gausslegendre", "f_input": f_input,
                                 "f_baseline": f_baseline, "delta": delta, "flagged": flagged},
        "modality": modality_contributions(ig_result, {"text": shapley[0], "image": shapley[1], "f_full": f_input,
                                                       "f_none": f_baseline}),
    }


def test_a_text_driven_set_gets_a_text_verdict_with_its_interval():
    predictions = [_prediction(i, text=2.0 + 0.1 * i, image=0.2) for i in range(20)]
    result = verdict(predictions)
    assert result["leading"] == "text" and result["hedged"] is False
    low, high = result["ci95"]
    assert 0.6 <= low <= result["text_share"] <= high <= 1.0
    assert result["n"] == 20 and result["n_decided_by_default"] == 0
    assert result["headline"].startswith("The decisions rest mostly on the text")
    assert "Shapley" in result["basis"]


def test_the_headline_says_no_clear_lead_when_the_interval_spans_both_ends():
    # Half the e-mails are all text, half all picture: the mean is 50 %, but so spread that with 6
    # e-mails the interval reaches from the picture's band into the text's.
    predictions = [_prediction(i, text=3.0, image=0.0) for i in range(3)]
    predictions += [_prediction(i + 3, text=0.0, image=3.0) for i in range(3)]
    result = verdict(predictions)
    assert result["ci95"][0] < 0.4 and result["ci95"][1] > 0.6
    assert result["leading"] == "unclear"
    assert result["headline"].startswith("No clear lead")
    assert "picture" not in result["headline"].split(":")[0]


def test_the_headline_hedges_when_the_interval_crosses_a_band_edge():
    # Mostly text (shares 0.9) with a few both-e-mails (0.5): the mean is in the text band, its
    # interval reaches below 60 %.
    predictions = [_prediction(i, text=0.9, image=0.1) for i in range(3)]
    predictions += [_prediction(i + 3, text=0.5, image=0.5) for i in range(3)]
    result = verdict(predictions)
    assert result["leading"] == "text" and result["hedged"] is True
    assert result["ci95"][0] < 0.6
    assert "probably" in result["headline"] and "not certainly" in result["headline"]


def test_decided_by_default_e_mails_are_counted_not_shared():
    # Row-25-like ham: the empty e-mail already scores -3; the content moved it by 0.002.
    quiet = [_prediction(i, text=0.001, image=0.001, f_none=-3.0) for i in range(10)]
    # Row-12-like ham: the picture pushes toward spam, the text toward ham; only the text counts.
    against = [_prediction(10 + i, text=-1.0, image=0.4, f_none=-3.0) for i in range(6)]
    result = verdict(quiet + against)
    assert result["n_decided_by_default"] == 10 and result["n"] == 6
    assert result["text_share"] == pytest.approx(1.0)  # the picture pushed against every decision
    assert result["leading"] == "text"
    assert "10 of 16 e-mails were decided by default" in result["headline"]
    assert all(p["leading"] == "none" for p in quiet) and all(p["leading"] == "text" for p in against)


def test_too_few_decisions_give_no_verdict():
    result = verdict([_prediction(i, text=3.0, image=0.0) for i in range(3)])
    assert result["leading"] == "unclear" and "only 3 e-mails count" in result["headline"]
    assert verdict([])["headline"].startswith("No clear lead")


def test_groups_by_true_class_outcome_and_language():
    predictions = [_prediction(i, text=2.0, image=0.1, label=1, language="en") for i in range(6)]
    predictions += [_prediction(6 + i, text=-0.1, image=-2.0, label=0, language="es") for i in range(6)]
    predictions.append(_prediction(12, text=-0.2, image=-2.0, label=1, language="es"))  # a missed spam
    result = groups(predictions)
    assert set(result["true_class"]) == {"spam", "ham"}
    assert result["outcome"]["TP"]["leading"] == "text" and result["outcome"]["TN"]["leading"] == "image"
    assert result["outcome"]["FN"]["n"] == 1 and "FP" not in result["outcome"]
    assert result["language"]["en"]["leading"] == "text" and result["language"]["es"]["n"] == 7


def test_ig_agreement_counts_only_converged_samples():
    samples = [
        _sample(1, 1, 1, ig=(3.0, 1.0), shapley=(3.0, 1.0)),  # both: text
        _sample(2, 1, 1, ig=(0.4, 3.6), shapley=(2.0, 2.0)),  # IG: image, Shapley: both
        _sample(3, 1, 1, ig=(0.4, 3.6), shapley=(2.0, 2.0), delta=1.0),  # IG did not converge
    ]
    agg = aggregate([], samples, min_count=1)
    assert agg["ig_agreement"] == {"n_compared": 2, "n_agree": 1, "rows_disagree": [2], "n_not_converged": 1}


def test_one_colour_scale_from_converged_samples_only():
    samples = [_sample(1, 1, 1, words=[("free", 0.5), ("win", -0.2)], image_scores=((0.1, 0.3),)),
               _sample(2, 1, 1, words=[("huge", 40.0)], delta=5.0)]  # unconverged: left out
    scale = aggregate([], samples, min_count=1)["colour_scale"]
    assert scale["unit"] == "log-odds" and scale["noise_floor"] == 0.01
    assert 0.3 <= scale["limit"] <= 0.5


def test_top_words_each_word_in_one_list_by_its_mean_score():
    samples = [
        _sample(1, 1, 1, words=[("000", 2.0), ("free", 1.0), (".", 3.0)]),
        _sample(2, 0, 0, words=[("000", -0.5), ("free", 0.8), (".", 2.0), ("meeting", -1.0)]),
        _sample(3, 0, 0, words=[("000", -0.6), ("meeting", -2.0), ("free", -0.1)]),
    ]
    words = top_words(samples, top_k=4, min_count=2)
    spam = [w["word"] for w in words["spam"]]
    ham = [w["word"] for w in words["ham"]]
    assert not set(spam) & set(ham)  # never in both lists
    assert "000" in spam and "000" not in ham  # mean (2.0 - 0.5 - 0.6) / 3 > 0
    # A word heads the list; punctuation and numbers follow it, marked.
    assert spam[0] == "free" and words["spam"][0]["kind"] == "word"
    kinds = {w["word"]: w["kind"] for w in words["spam"]}
    assert kinds["."] == "punctuation" and kinds["000"] == "number"
    free = words["spam"][0]
    assert free["n_seen"] == 3 and free["count"] == 3 and free["mean_score"] == pytest.approx(1.7 / 3)
    assert ham == ["meeting"] and words["ham"][0]["n_seen"] == 2


def test_top_words_leave_out_unconverged_samples():
    samples = [_sample(1, 1, 1, words=[("free", 1.0)]), _sample(2, 1, 1, words=[("free", 1.0)]),
               _sample(3, 1, 1, words=[("bogus", 9.0)], delta=3.0), _sample(4, 1, 1, words=[("bogus", 9.0)], delta=3.0)]
    agg = aggregate([], samples, min_count=2)
    assert [w["word"] for w in agg["top_words"]["spam"]] == ["free"]


def test_warnings_for_ig_gap_skipped_rows_and_few_samples():
    samples = [_sample(7, 1, 1, f_input=2.0, f_baseline=1.0, delta=0.06), _sample(8, 0, 0, delta=0.01)]
    agg = aggregate([], samples, skipped=[{"row": 5, "pic": "x.png", "reason": "missing"}],
                    extra_warnings=["asked for 9 random spam sample(s) but only 4 exist"])
    text = "\n".join(agg["warnings"])
    assert agg["warnings"][0].startswith("asked for 9")
    assert "for row 7 (6.0% after 16 steps)" in text and "8 (" not in text
    assert "colours are unreliable" in text
    assert "1 row skipped" in text and ": 5" in text
    assert "only 2 samples explained" in text


def test_aggregate_block_validates_inside_a_results_document():
    from reportgen.results.io import validate_results
    from tests.results_fixture import make_results

    results = make_results(n_samples=4)
    results["aggregate"] = aggregate(results["predictions"], results["samples"], top_k=5, min_count=1)
    validate_results(results)


def test_aggregate_and_claims_do_not_import_torch():
    import subprocess

    code = "import sys, reportgen.analysis.aggregate, reportgen.claims; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize(
    ("delta", "f_input", "f_baseline", "flagged"),
    [
        (0.5, 3.0, 0.0, True),  # 17 % of the gap: attributions do not add up
        (0.1, 3.0, 0.0, False),  # 3 %: fine
        (0.002, -3.007, -3.009, False),  # clear ham vs a ham-like baseline: 100 % of a ~0 gap, but 0.002 log-odds
        (0.05, -3.0, -3.01, True),  # a real miss on a tiny gap is still reported
    ],
)
def test_ig_flag_needs_a_gap_that_matters(delta, f_input, f_baseline, flagged):
    # Regression: the demo flagged every ham e-mail (relative deltas of 4000 %) whose score barely moved.
    from reportgen.claims import ig_flagged

    assert ig_flagged(delta, f_input, f_baseline) is flagged
