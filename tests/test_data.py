"""EDP loading: rows keep their CSV positions, read as MMTD's training read them (fillna('null'), its own
folds); every user mistake or hostile input is one line naming file/row/column."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from reportgen.errors import DataError, ReportgenError
from reportgen.mmtd.edp import DEFAULT_MAX_PIXELS, load_edp, mmtd_fold_split
from reportgen.options import DataOptions, SelectionOptions, parse_rows
from tests.edp import write_edp, write_png_header


def test_all_rows_texts_labels_and_rgb_pictures(tmp_path):
    csv, pics = write_edp(tmp_path, n=5, texts=["win money", None, "hello", "", "thanks"], modes=["RGB", "L", "RGBA", "P", "CMYK"])
    data = load_edp(csv, pics)
    assert data.rows == [0, 1, 2, 3, 4]
    # An empty cell (None or "") is read as missing and fed as "null", as training's fillna('null') did.
    assert data.texts == ["win money", "null", "hello", "null", "thanks"]
    assert data.text_missing == [False, True, False, True, False]
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
    assert described["missing_text"] == {"fed_as": "null", "rows": []}
    assert described["max_pixels"] == DEFAULT_MAX_PIXELS and "split" not in described


def test_rows_selection_keeps_order_and_csv_positions(tmp_path):
    csv, pics = write_edp(tmp_path, n=6)
    data = load_edp(csv, pics, rows=[4, 1, 4])
    assert data.rows == [4, 1]
    assert data.texts == [pd.read_csv(csv)["texts"][4], pd.read_csv(csv)["texts"][1]]
    assert data.selection == "rows:4,1"


def _split_data_by_hand(n_rows: int) -> list[list[int]]:
    """MMTD's SplitData(csv, 5) re-enacted on row numbers: the test rows of calls 1..5 (= folds 1..5).

    quantity = (N - N % 5) / 5; chunks 0..3 of `quantity` rows, chunk 4 the rest; each call pops the
    last chunk as the test set and puts it back in front.
    """
    quantity = (n_rows - n_rows % 5) // 5
    chunks = [list(range(quantity * i, quantity * (i + 1))) for i in range(4)] + [list(range(4 * quantity, n_rows))]
    folds = []
    for _ in range(5):
        test = chunks.pop()
        chunks.insert(0, test)
        folds.append(test)
    return folds


def test_mmtd_folds_of_32_rows_by_hand(tmp_path):
    # N = 32: q = 6, N % 5 = 2 leftover rows, which belong to fold 1.
    csv, pics = write_edp(tmp_path, n=32)
    expected = {1: range(24, 32), 2: range(18, 24), 3: range(12, 18), 4: range(6, 12), 5: range(0, 6)}
    for k, rows in expected.items():
        data = load_edp(csv, pics, split=f"fold:{k}")
        assert data.rows == list(rows)  # file order
        assert load_edp(csv, pics, split=f"fold:{k}/5").rows == list(rows)
        assert data.rows == _split_data_by_hand(32)[k - 1]
    data = load_edp(csv, pics, split="fold:1")
    assert data.selection == "fold:1/5 (MMTD training split: rows 24-31)"
    assert data.texts == pd.read_csv(csv)["texts"][24:32].tolist()
    split = data.describe()["split"]
    assert (split["method"], split["fold"], split["folds"]) == ("mmtd", 1, 5)
    assert (split["first_row"], split["last_row"], split["n_fold_rows"], split["n_used"]) == (24, 31, 8, 8)
    assert split["row_count_check"] == {"rule": "q + N % 5 = 6 + 2", "expected": 8, "actual": 8, "ok": True}
    assert "SplitData" in split["derivation"] and "no shuffle" in split["derivation"]
    assert "rows 4q .. N-1 = 24 .. 31" in split["derivation"]
    assert load_edp(csv, pics, split="fold:3").describe()["split"]["row_count_check"]["rule"] == "q = 6"


@pytest.mark.parametrize("n_rows", [30_595, 30_598])
def test_mmtd_folds_of_edp_size_by_hand(n_rows):
    # 30,595 e-mails: q = 6,119 and no leftover, so fold 1 has the 6,119 rows an analysis reported;
    # 30,598 puts 3 leftover rows into fold 1.
    q = 6_119
    leftover = n_rows - 5 * q
    expected = {
        1: (4 * q, n_rows - 1, q + leftover), 2: (3 * q, 4 * q - 1, q), 3: (2 * q, 3 * q - 1, q),
        4: (q, 2 * q - 1, q), 5: (0, q - 1, q),
    }
    by_hand = _split_data_by_hand(n_rows)
    for k, (first, last, count) in expected.items():
        rows, split = mmtd_fold_split(n_rows, k)
        assert rows == list(range(first, last + 1)) == by_hand[k - 1]
        assert (split["first_row"], split["last_row"], split["n_fold_rows"]) == (first, last, count)
        assert split["row_count_check"]["ok"] and split["row_count_check"]["expected"] == count
    assert sorted(r for k in range(1, 6) for r in mmtd_fold_split(n_rows, k)[0]) == list(range(n_rows))


def test_mmtd_fold_rows_do_not_move_when_pictures_are_skipped(tmp_path):
    csv, pics = write_edp(tmp_path, n=12, missing=[10])
    data = load_edp(csv, pics, split="fold:1", skip_invalid=True)  # q = 2: rows 8..11
    assert data.rows == [8, 9, 11]
    split = data.describe()["split"]
    assert (split["n_fold_rows"], split["n_used"]) == (4, 3)


def test_stratified_split_is_seeded_partitions_and_says_it_is_not_mmtds(tmp_path):
    labels = [0] * 12 + [1] * 8
    csv, pics = write_edp(tmp_path, n=20, labels=labels)
    folds = [load_edp(csv, pics, split=f"stratified:{k}/4", seed=3).rows for k in range(1, 5)]
    assert sorted(r for fold in folds for r in fold) == list(range(20))
    for fold in folds:
        assert sum(labels[r] for r in fold) == 2  # 8 spam / 4 folds
    assert load_edp(csv, pics, split="stratified:2/4", seed=3).rows == folds[1]
    assert load_edp(csv, pics, split="stratified:2/4", seed=4).rows != folds[1]
    from sklearn.model_selection import StratifiedKFold

    expected = list(StratifiedKFold(4, shuffle=True, random_state=3).split(range(20), labels))[1][1]
    assert folds[1] == sorted(expected.tolist())
    data = load_edp(csv, pics, split="stratified:2/4", seed=3)
    assert data.selection == "stratified:2/4 (StratifiedKFold, seed 3; not MMTD's training folds)"
    split = data.describe()["split"]
    assert (split["method"], split["fold"], split["folds"], split["seed"]) == ("stratified", 2, 4, 3)
    assert "NOT the folds MMTD was trained on" in split["derivation"]


def test_no_label_column_means_unlabelled(tmp_path):
    csv, pics = write_edp(tmp_path, n=4, with_labels=False)
    data = load_edp(csv, pics, split="stratified:1/2")
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
        ({"split": "fold:0/5"}, {}, r"--split 'fold:0/5': MMTD's folds are fold:1 .. fold:5"),
        ({"split": "fold:6"}, {}, r"--split 'fold:6': MMTD's folds are fold:1 .. fold:5"),
        ({"split": "fold:2/3"}, {}, r"always has 5 folds .* use stratified:2/3"),
        ({"split": "half"}, {}, r"expected fold:K \(MMTD's training folds"),
        ({"split": "stratified:2"}, {}, r"expected fold:K"),
        ({"split": "stratified:3/2"}, {}, r"expected stratified:K/N with N >= 2"),
        ({"split": "fold:1"}, {}, r"only 4 rows; MMTD's split needs at least 5"),
        ({"split": "stratified:1/5"}, {}, r"only 4 rows, fewer than 5 folds"),
        ({"split": "fold:1", "rows": [1]}, {}, r"either --split or --rows"),
        ({"missing_text": "none"}, {}, r"--missing-text 'none'"),
        ({"max_pixels": DEFAULT_MAX_PIXELS + 1}, {}, r"--max-pixels 89478486: expected 1 .. 89,478,485"),
        ({}, {"missing": [1, 3]}, r"2 selected rows have missing, unreadable or too large pictures .*row 1 \(1.png: missing\); row 3 \(3.png: missing\)"),
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
    with pytest.raises(DataError, match=r"9 selected rows.* and 4 more; .*--skip-invalid"):
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


def test_parse_rows_is_the_one_row_parser_of_cli_options_and_load_edp(tmp_path):
    assert parse_rows("3, 17,42,3") == (3, 17, 42)
    assert parse_rows([4, "2", 4]) == (4, 2)
    assert parse_rows(None) is None and parse_rows(" ") is None
    for bad, shown in (("3,x", "'x'"), ("-1", "'-1'"), ([True], "'True'"), ([1.5], "'1.5'")):
        with pytest.raises(ReportgenError, match=f"{re.escape(shown)} is not a row number"):
            parse_rows(bad)
    # The library takes the same forms as the command line, with the same one-line errors.
    csv, pics = write_edp(tmp_path, n=5)
    assert load_edp(csv, pics, rows="4, 1,4").rows == [4, 1]
    with pytest.raises(DataError, match=r"--rows: 'x' is not a row number"):
        load_edp(csv, pics, rows="1,x")
    assert DataOptions(data=str(csv), images=str(pics), rows="2,0").rows == (2, 0)
    with pytest.raises(ReportgenError, match=r"--explain-rows: '-3' is not a row number"):
        SelectionOptions(explain_rows=[-3])


# -- missing texts ---------------------------------------------------------------------------------
def test_missing_text_is_null_as_in_training_and_recorded_per_row(tmp_path):
    csv, pics = write_edp(tmp_path, n=4, texts=["win money", None, "hello", None])
    data = load_edp(csv, pics, rows=[3, 0, 1])
    # The reference: training's pd.read_csv(...).fillna('null').
    training = pd.read_csv(csv).fillna("null")["texts"]
    assert data.texts == [training[3], training[0], training[1]] == ["null", "win money", "null"]
    assert data.text_missing == [True, False, True]
    assert data.text_note(0) == "No text in the data; the model read it as 'null', as in training."
    assert data.text_note(1) is None
    assert data.describe()["missing_text"] == {"fed_as": "null", "rows": [3, 1]}


def test_missing_text_empty_keeps_the_old_behaviour(tmp_path):
    csv, pics = write_edp(tmp_path, n=3, texts=["win", None, "hello"])
    data = load_edp(csv, pics, missing_text="empty")
    assert data.texts == ["win", "", "hello"] and data.text_missing == [False, True, False]
    assert "empty text" in data.text_note(1)
    assert data.describe()["missing_text"] == {"fed_as": "", "rows": [1]}


# -- hostile and broken inputs (issue 12) ----------------------------------------------------------
@pytest.mark.parametrize("size", [(30_000, 30_000), (12_000, 12_000)])
def test_decompression_bomb_is_one_line_or_skipped_without_a_warning(tmp_path, size):
    # 30000x30000 is above twice PIL's limit (PIL raises), 12000x12000 above it (PIL warns).
    import warnings

    csv, pics = write_edp(tmp_path, n=3)
    write_png_header(pics / "1.png", *size)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning (PIL's multi-line DecompressionBombWarning) fails
        with pytest.raises(DataError, match=r"row 1 \(1.png: too large") as info:
            load_edp(csv, pics)
        assert "\n" not in info.value.message
        data = load_edp(csv, pics, skip_invalid=True)
    assert data.rows == [0, 2] and data.skipped[0]["reason"].startswith("too large")


def test_max_pixels_refuses_from_the_header(tmp_path):
    csv, pics = write_edp(tmp_path, n=2, size=(48, 40))  # 1,920 pixels each
    write_png_header(pics / "1.png", 50, 40)
    too_large = r"row 1 \(1.png: too large: 50x40 = 2,000 pixels, more than --max-pixels 1,920\)"
    with pytest.raises(DataError, match=too_large):
        load_edp(csv, pics, max_pixels=1_920)
    assert load_edp(csv, pics, max_pixels=1_920, skip_invalid=True).rows == [0]
    assert load_edp(csv, pics, rows=[0], max_pixels=1_920).rows == [0]  # exactly at the limit is fine


def test_picture_over_the_limit_after_loading_is_a_data_error(tmp_path):
    csv, pics = write_edp(tmp_path, n=2)
    data = load_edp(csv, pics, max_pixels=10_000)
    write_png_header(pics / "1.png", 200, 200)
    with pytest.raises(DataError, match=r"row 1: cannot read picture .*too large: 200x200"):
        data.load_image(1)


def test_picture_name_longer_than_the_filesystem_allows(tmp_path):
    csv, pics = write_edp(tmp_path, n=3)
    long_name = "x" * 300 + ".png"  # > 255 bytes: OSError 36 (File name too long) from the filesystem
    pd.read_csv(csv).assign(pics=["0.png", long_name, "2.png"]).to_csv(csv, index=False)
    with pytest.raises(DataError, match=r"row 1 \(x+\.png: unusable name \(.*name too long") as info:
        load_edp(csv, pics)
    assert "\n" not in info.value.message
    data = load_edp(csv, pics, skip_invalid=True)
    assert data.rows == [0, 2] and data.skipped[0]["row"] == 1


@pytest.mark.parametrize("pil_pads_truncated_files", [False, True])
def test_truncated_jpeg_is_caught_where_rows_are_skipped(tmp_path, monkeypatch, pil_pads_truncated_files):
    # WeasyPrint, once imported, sets PIL's LOAD_TRUNCATED_IMAGES: the check must not inherit it.
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", pil_pads_truncated_files)
    csv, pics = write_edp(tmp_path, n=4, size=(300, 200), truncated=[2])
    with pytest.raises(DataError, match=r"row 2 \(2.jpg: unreadable \(image file is truncated"):
        load_edp(csv, pics)
    data = load_edp(csv, pics, skip_invalid=True)
    assert data.rows == [0, 1, 3] and data.skipped[0]["reason"].startswith("unreadable")
    assert [data.load_image(i).size for i in range(3)] == [(300, 200)] * 3  # the kept ones decode
    assert ImageFile.LOAD_TRUNCATED_IMAGES is pil_pads_truncated_files  # the setting is given back


@pytest.mark.parametrize(
    ("content", "name"),
    [
        # pandas would rename the copy to labels.1 and silently use the first column
        ("texts,pics,labels,labels\nwin,0.png,1,0\nhello,1.png,0,1\n", "labels"),
        # ... or read the labels as texts.1 and call the data unlabelled
        ("texts,pics,texts\nwin,0.png,1\nhello,1.png,0\n", "texts"),
    ],
)
def test_duplicate_column_names_are_refused(tmp_path, content, name):
    csv, pics = write_edp(tmp_path, n=2)
    csv.write_text(content)
    with pytest.raises(DataError, match=rf"EDP.csv: column name '{name}' appears 2 times in the header") as info:
        load_edp(csv, pics)
    assert "\n" not in info.value.message


def test_empty_header_names_are_not_duplicates(tmp_path):
    csv, pics = write_edp(tmp_path, n=2)
    pd.read_csv(csv).to_csv(csv)  # the index as a first column with an empty name
    text = csv.read_text().splitlines()
    csv.write_text("\n".join([text[0] + ","] + [line + "," for line in text[1:]]) + "\n")  # a second one
    assert load_edp(csv, pics).rows == [0, 1]


def test_pictures_outside_the_folder_are_refused_unless_allowed(tmp_path):
    csv, pics = write_edp(tmp_path / "edp", n=4)
    outside = tmp_path / "edp" / "secret.png"  # next to pics/, as ../secret.png
    (pics / "0.png").rename(outside)
    (pics / "link.png").symlink_to(outside)
    (pics / "sub").mkdir()
    (pics / "sub" / "2.png").symlink_to(pics / "2.png")  # a symlink that stays inside is fine
    names = {
        "absolute": [str(outside), "1.png", "sub/2.png", "3.png"],
        "dotdot": ["../secret.png", "1.png", "sub/2.png", "3.png"],
        "symlink": ["link.png", "1.png", "sub/2.png", "3.png"],
    }
    for kind, pictures in names.items():
        pd.read_csv(csv).assign(pics=pictures).to_csv(csv, index=False)
        outside_message = r"row 0: picture .* lies outside the pictures folder .*--allow-outside-images"
        with pytest.raises(DataError, match=outside_message) as info:
            load_edp(csv, pics, skip_invalid=True)
        assert "\n" not in info.value.message, kind
        assert load_edp(csv, pics, rows=[1, 2]).rows == [1, 2]  # only selected rows are checked
        allowed = load_edp(csv, pics, allow_outside_images=True)
        assert allowed.rows == [0, 1, 2, 3] and allowed.load_image(0).size == (48, 40), kind


def test_default_max_pixels_is_pils_limit():
    from PIL import Image

    from reportgen.cli.predict_cmd import predict_command

    # The documented default: exactly where PIL starts warning about decompression bombs.
    assert DEFAULT_MAX_PIXELS == Image.MAX_IMAGE_PIXELS
    assert {p.name: p.default for p in predict_command.params}["max_pixels"] == DEFAULT_MAX_PIXELS
