"""Sample selection: which rows get a detailed explanation, and why."""

from __future__ import annotations

import pandas as pd
import pytest

from reportgen.errors import DataError
from reportgen.analysis.sampling import SampleSelection, parse_samples, select_samples


def _predictions(labels=(1, 1, 1, 1, 0, 0, 0, 0), prob_spam=(0.9, 0.6, 0.2, 0.99, 0.1, 0.45, 0.8, 0.02)):
    rows = [10 + 2 * i for i in range(len(prob_spam))]
    return pd.DataFrame({
        "row": rows,
        "label": pd.array(list(labels), dtype="Int64"),
        "prediction": [int(p >= 0.5) for p in prob_spam],
        "prob_ham": [1 - p for p in prob_spam],
        "prob_spam": list(prob_spam),
        "logit_ham": [0.0] * len(rows),
        "logit_spam": [0.0] * len(rows),
    })


def test_default_draws_three_spam_and_three_ham_by_true_label():
    chosen, warnings = select_samples(_predictions(), SampleSelection(seed=0))
    table = _predictions().set_index("row")
    assert len(chosen) == 6 and warnings == []
    assert sum(table.loc[c.row, "label"] == 1 for c in chosen) == 3
    assert {c.reason for c in chosen} == {"random spam", "random ham"}
    assert [c.row for c in chosen] == sorted(c.row for c in chosen)


def test_draw_is_reproducible_from_seed_and_changes_with_it():
    draws = {seed: [c.row for c in select_samples(_predictions(), SampleSelection(samples="2:2", seed=seed))[0]]
             for seed in range(6)}
    assert draws[3] == [c.row for c in select_samples(_predictions(), SampleSelection(samples="2:2", seed=3))[0]]
    assert len({tuple(v) for v in draws.values()}) > 1


def test_explicit_rows_replace_the_default_draw():
    chosen, _ = select_samples(_predictions(), SampleSelection(rows=(14, 10)))
    assert [(c.row, c.reason) for c in chosen] == [(10, "requested row"), (14, "requested row")]


def test_unknown_row_names_the_row():
    with pytest.raises(DataError, match="row 11 is not among the 8 predicted rows"):
        select_samples(_predictions(), SampleSelection(rows=(11,)))


def test_misclassified_most_confidently_wrong_first_and_least_most_confident():
    # wrong: row 14 (spam at 0.2) and row 22 (ham at 0.8); 0.8 is the more confident mistake
    chosen, _ = select_samples(_predictions(), SampleSelection(misclassified=1))
    assert [(c.row, c.reason) for c in chosen] == [(22, "misclassified")]
    chosen, _ = select_samples(_predictions(), SampleSelection(least_confident=1, most_confident=1))
    assert [(c.row, c.reason) for c in chosen] == [(16, "most confident"), (20, "least confident")]


def test_criteria_combine_and_duplicates_keep_every_reason():
    chosen, _ = select_samples(_predictions(), SampleSelection(rows=(22,), misclassified=2))
    assert [(c.row, c.reason) for c in chosen] == [(14, "misclassified"), (22, "requested row, misclassified")]


def test_asking_for_more_than_exists_warns():
    chosen, warnings = select_samples(_predictions(), SampleSelection(samples="9:0", misclassified=5))
    assert len([c for c in chosen if "random spam" in c.reason]) == 4
    assert any("9 random spam" in w and "only 4" in w for w in warnings)
    assert any("5 misclassified" in w for w in warnings)


def test_without_labels_draw_by_prediction_and_refuse_misclassified():
    table = _predictions()
    table["label"] = pd.array([None] * len(table), dtype="Int64")
    chosen, _ = select_samples(table, SampleSelection(samples="1:1"))
    assert sorted(c.reason for c in chosen) == ["random predicted ham", "random predicted spam"]
    with pytest.raises(DataError, match="--misclassified needs a label column"):
        select_samples(table, SampleSelection(misclassified=1))


@pytest.mark.parametrize("text", ["3", "a:b", "3:-1", "3:3:3", ""])
def test_bad_samples_text_is_one_clear_error(text):
    with pytest.raises(DataError, match="expected N_SPAM:N_HAM"):
        parse_samples(text)


def test_describe_records_the_effective_draw():
    assert SampleSelection().describe()["samples"] == "3:3"
    assert SampleSelection(rows=(1,)).describe()["samples"] is None
