"""Aggregates over explained samples: shares, verdict, top words, warnings (no torch needed)."""

from __future__ import annotations

import sys

import pytest

from reportgen.analysis.aggregate import aggregate_samples, modality_summary, text_share, top_words, verdict_label


def _sample(row, label, prediction, ig=(3.0, 1.0), shapley=(3.0, 1.0), attention=(0.7, 0.3), words=(),
            f_input=4.0, f_baseline=0.0, delta=0.0):
    return {
        "row": row, "label": label, "prediction": prediction,
        "words": [{"text": t, "score": s} for t, s in words],
        "integrated_gradients": {"n_steps": 8, "method": "gausslegendre", "f_input": f_input,
                                 "f_baseline": f_baseline, "delta": delta},
        "modality": {
            "ig": {"text": ig[0], "image": ig[1]},
            "shapley": {"text": shapley[0], "image": shapley[1], "f_full": f_input, "f_none": f_baseline},
            "attention": {"text": attention[0], "image": attention[1]},
        },
    }


def test_text_share_uses_magnitudes_so_opposing_evidence_still_counts():
    assert text_share({"text": -3.0, "image": 1.0}) == pytest.approx(0.75)
    assert text_share({"text": 0.0, "image": 0.0}) is None


@pytest.mark.parametrize("share,label", [(0.6, "text-dominant"), (0.59, "balanced"), (0.41, "balanced"),
                                         (0.4, "image-dominant"), (None, "undetermined")])
def test_verdict_thresholds(share, label):
    assert verdict_label(share) == label


def test_shares_by_class_and_outcome_and_text_dominant_verdict():
    samples = [
        _sample(1, 1, 1, ig=(9, 1)),          # TP, share 0.9
        _sample(2, 1, 0, ig=(1, 1)),          # FN, share 0.5
        _sample(3, 0, 0, ig=(-8, 2)),         # TN, share 0.8
        _sample(4, 0, 1, ig=(7, -3)),         # FP, share 0.7
    ]
    summary = modality_summary(samples)
    assert summary["by_class"]["spam"]["n"] == 2
    assert summary["by_class"]["spam"]["ig_text_share"] == pytest.approx(0.7)
    assert summary["by_class"]["ham"]["ig_text_share_median"] == pytest.approx(0.75)
    assert {o: g["n"] for o, g in summary["by_outcome"].items()} == {"TP": 1, "FP": 1, "TN": 1, "FN": 1}
    assert summary["by_outcome"]["FN"]["ig_text_share"] == pytest.approx(0.5)
    verdict = summary["verdict"]
    assert verdict["text_share"] == pytest.approx(0.75)  # median of 0.9, 0.5, 0.8, 0.7
    assert verdict["label"] == "text-dominant"
    assert verdict["thresholds"] == {"text_dominant": 0.6, "image_dominant": 0.4}
    assert verdict["agree"] is True and "all three agree" in verdict["text"]


def test_verdict_reports_disagreeing_estimators():
    samples = [_sample(1, 1, 1, ig=(1, 9), shapley=(1, 9), attention=(0.9, 0.1))]
    verdict = modality_summary(samples)["verdict"]
    assert verdict["label"] == "image-dominant"
    assert verdict["by_estimator"]["attention"] == "text-dominant"
    assert verdict["agree"] is False and "disagree" in verdict["text"]


def test_top_words_count_samples_not_repeats():
    samples = [_sample(1, 1, 1, words=[("free", 1.0), ("free", 2.0), ("win", 0.5)]),
               _sample(2, 1, 1, words=[("win", 1.5), ("now", 0.1)])]
    words = top_words(samples, top_k=3, min_count=2)
    # "free" twice in one e-mail is one sample: below min_count; "win" is a top word in both.
    assert words["spam"] == [{"word": "win", "count": 2, "mean_score": pytest.approx(1.0)}]
    assert top_words(samples, top_k=3, min_count=1)["spam"][1] == {"word": "free", "count": 1, "mean_score": 3.0}


def test_top_words_count_signed_words_in_each_samples_top_k():
    samples = [
        _sample(1, 1, 1, words=[("free", 2.0), ("money", 1.0), ("hello", -0.5), ("the", 0.01)]),
        _sample(2, 1, 1, words=[("free", 1.0), ("money", 3.0), ("hello", -0.7)]),
        _sample(3, 0, 0, words=[("hello", -1.0), ("free", 0.2), ("meeting", -2.0)]),
    ]
    words = top_words(samples, top_k=3, min_count=2)
    assert words["spam"][0] == {"word": "free", "count": 3, "mean_score": pytest.approx(3.2 / 3)}
    assert words["spam"][1]["word"] == "money" and words["spam"][1]["count"] == 2
    assert "the" not in [w["word"] for w in words["spam"]]  # outside the top 3 of sample 1
    assert words["ham"] == [{"word": "hello", "count": 3, "mean_score": pytest.approx(-2.2 / 3)}]
    assert [w["word"] for w in top_words(samples, top_k=3, min_count=1)["ham"]] == ["hello", "meeting"]


def test_warnings_for_ig_gap_skipped_rows_and_few_samples():
    samples = [_sample(7, 1, 1, f_input=2.0, f_baseline=1.0, delta=0.06), _sample(8, 0, 0, delta=0.01)]
    agg = aggregate_samples(samples, skipped=[{"row": 5, "pic": "x.png", "reason": "missing"}],
                            extra_warnings=["asked for 9 random spam sample(s) but only 4 exist"])
    text = "\n".join(agg["warnings"])
    assert agg["warnings"][0].startswith("asked for 9")
    assert "for row(s) 7 (6.0%)" in text and "8 (" not in text
    assert "1 row(s) skipped" in text and ": 5" in text
    assert "only 2 sample(s) explained" in text


def test_aggregate_block_validates_inside_a_results_document():
    from reportgen.results.io import validate_results
    from tests.results_fixture import make_results

    results = make_results(n_samples=4)
    results["aggregate"] = aggregate_samples(results["samples"], top_k=5, min_count=1)
    validate_results(results)


def test_aggregate_does_not_import_torch():
    import subprocess

    code = "import sys, reportgen.analysis.aggregate; print('torch' in sys.modules)"
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
    from reportgen.analysis.aggregate import ig_flagged

    assert ig_flagged(delta, f_input, f_baseline) is flagged
