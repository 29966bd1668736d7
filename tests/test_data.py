"""EDP loading: rows keep their CSV positions; every user mistake is one line naming file/row/column."""

from __future__ import annotations

import pandas as pd
import pytest

from reportgen.mmtd.edp import load_edp, parse_rows
from reportgen.errors import DataError
from tests.edp import write_edp


def test_all_rows_texts_labels_and_rgb_pictures(tmp_path):
    csv, pics = write_edp(tmp_path, n=5, texts=["win money", None, "hello", "", "thanks"], modes=["RGB", "L", "RGBA", "P", "CMYK"])
    data = load_edp(csv, pics)
    assert data.rows == [0, 1, 2, 3, 4]
    assert data.texts == ["win money", "", "hello", "", "thanks"]  # NaN text -> ""
    assert data.labels == [0, 1, 0, 1, 0]
    assert [data.load_image(i).mode for i in range(5)] == ["RGB"] * 5
    assert list(data.frame.index) == data.rows
    assert data.selection == "all" and data.skipped == []


def test_describe_matches_results_schema(tmp_path):
    import jsonschema
    import json
    from importlib import resources

    schema = json.loads(resources.files("reportgen").joinpath("results/schema/results.schema.json").read_text())
    csv, pics = write_edp(tmp_path, n=4, missing=[2])
    described = load_edp(csv, pics, skip_invalid=True).describe()
    jsonschema.validate(described, schema["properties"]["dataset"])
    assert described["n_rows"] == 4 and described["n_selected"] == 3
    assert described["skipped"] == [{"row": 2, "pic": "2.png", "reason": "missing"}]
    assert described["columns"] == {"text": "texts", "pic": "pics", "label": "labels"}


def test_rows_selection_keeps_order_and_csv_positions(tmp_path):
    csv, pics = write_edp(tmp_path, n=6)
    data = load_edp(csv, pics, rows=[4, 1, 4])
    assert data.rows == [4, 1]
    assert data.texts == [pd.read_csv(csv)["texts"][4], pd.read_csv(csv)["texts"][1]]
    assert data.selection == "rows:4,1"


def test_fold_split_is_stratified_seeded_and_partitions(tmp_path):
    labels = [0] * 12 + [1] * 8
    csv, pics = write_edp(tmp_path, n=20, labels=labels)
    folds = [load_edp(csv, pics, split=f"fold:{k}/4", seed=3).rows for k in range(1, 5)]
    assert sorted(r for fold in folds for r in fold) == list(range(20))
    for fold in folds:
        assert sum(labels[r] for r in fold) == 2  # 8 spam / 4 folds
    assert load_edp(csv, pics, split="fold:2/4", seed=3).rows == folds[1]
    assert load_edp(csv, pics, split="fold:2/4", seed=4).rows != folds[1]
    from sklearn.model_selection import StratifiedKFold

    expected = list(StratifiedKFold(4, shuffle=True, random_state=3).split(range(20), labels))[1][1]
    assert folds[1] == sorted(expected.tolist())
    assert load_edp(csv, pics, split="fold:2/4", seed=3).selection == "fold:2/4 (stratified, seed 3)"


def test_no_label_column_means_unlabelled(tmp_path):
    csv, pics = write_edp(tmp_path, n=4, with_labels=False)
    data = load_edp(csv, pics, split="fold:1/2")
    assert data.labels is None and len(data.rows) == 2
    assert data.describe()["columns"]["label"] is None
    with pytest.raises(DataError, match="no label column 'labels'"):
        load_edp(csv, pics, require_labels=True)


def test_numeric_looking_texts_and_picture_names_stay_strings(tmp_path):
    csv, pics = write_edp(tmp_path, n=2, texts=["007", "1e3"])
    (pics / "0.png").rename(pics / "0010")
    pd.read_csv(csv, dtype=str).assign(pics=["0010", "1.png"]).to_csv(csv, index=False)
    data = load_edp(csv, pics)
    assert data.texts == ["007", "1e3"] and data.pics == ["0010", "1.png"]


def test_configurable_columns(tmp_path):
    csv, pics = write_edp(tmp_path, n=3, columns={"texts": "body", "pics": "image", "labels": "y"})
    data = load_edp(csv, pics, text_column="body", pic_column="image", label_column="y")
    assert data.labels == [0, 1, 0] and len(data.texts) == 3


@pytest.mark.parametrize(
    ("kwargs", "write", "pattern"),
    [
        ({"text_column": "body"}, {}, r"EDP.csv: no text column 'body'"),
        ({}, {"labels": [0, 1, 2, 0]}, r"row 2: label 2 in column 'labels' is not 0 \(ham\) or 1 \(spam\)"),
        ({}, {"labels": [0, "spam", 1, 0]}, r"row 1: label 'spam'"),
        ({}, {"labels": [0, 1, None, 0]}, r"row 2: label nan"),
        ({"rows": [1, 9]}, {}, r"row 9 does not exist"),
        ({"rows": []}, {}, r"selection \(rows:\) is empty"),
        ({"split": "fold:0/5"}, {}, r"--split 'fold:0/5'"),
        ({"split": "half"}, {}, r"expected fold:K/N"),
        ({"split": "fold:1/5"}, {}, r"only 4 rows, fewer than 5 folds"),
        ({"split": "fold:1/2", "rows": [1]}, {}, r"either --split or --rows"),
        ({}, {"missing": [1, 3]}, r"2 selected row\(s\) have missing or unreadable pictures .*row 1 \(1.png: missing\); row 3 \(3.png: missing\)"),
        ({}, {"corrupt": [0]}, r"row 0 \(0.png: unreadable"),
    ],
)
def test_bad_inputs_are_one_line_naming_the_culprit(tmp_path, kwargs, write, pattern):
    csv, pics = write_edp(tmp_path, n=4, **write)
    with pytest.raises(DataError, match=pattern) as info:
        load_edp(csv, pics, **kwargs)
    assert "\n" not in info.value.message


def test_many_bad_pictures_are_summarised(tmp_path):
    csv, pics = write_edp(tmp_path, n=9, missing=range(9))
    with pytest.raises(DataError, match=r"9 selected row\(s\).* and 4 more; .*--skip-invalid"):
        load_edp(csv, pics)


def test_skip_invalid_records_skipped_rows(tmp_path):
    csv, pics = write_edp(tmp_path, n=5, missing=[1], corrupt=[3])
    data = load_edp(csv, pics, skip_invalid=True)
    assert data.rows == [0, 2, 4] and data.labels == [0, 0, 0]
    assert [(s["row"], s["pic"]) for s in data.skipped] == [(1, "1.png"), (3, "3.png")]
    assert data.skipped[0]["reason"] == "missing" and data.skipped[1]["reason"].startswith("unreadable")
    with pytest.raises(DataError, match="every selected row"):
        load_edp(csv, pics, rows=[1, 3], skip_invalid=True)


def test_only_selected_pictures_are_checked(tmp_path):
    csv, pics = write_edp(tmp_path, n=4, missing=[3])
    assert load_edp(csv, pics, rows=[0, 2]).rows == [0, 2]


def test_missing_files_and_folders(tmp_path):
    csv, pics = write_edp(tmp_path, n=2)
    with pytest.raises(DataError, match="does not exist"):
        load_edp(tmp_path / "nope.csv", pics)
    with pytest.raises(DataError, match="pictures folder .* does not exist"):
        load_edp(csv, tmp_path / "nopics")


def test_parse_rows():
    assert parse_rows("3, 17,42") == [3, 17, 42]
    assert parse_rows(None) is None
    with pytest.raises(DataError, match="'x' is not a row number"):
        parse_rows("3,x")
    with pytest.raises(DataError, match="'-1' is not a row number"):
        parse_rows("-1")
