"""results.json contract: the schema is valid, results round-trip, broken results name the key."""

from __future__ import annotations

import copy
import json

import jsonschema
import numpy as np
import pytest

from reportgen.errors import ResultsError
from reportgen.results.io import SCHEMA_VERSION, dumps_results, load_results, load_schema, save_results, validate_results
from tests.results_fixture import make_results


def test_schema_is_a_valid_draft_2020_12_schema_at_version_2_0():
    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["properties"]["schema_version"]["const"] == SCHEMA_VERSION == "2.0"


def test_save_load_round_trip_is_exact_and_deterministic(tmp_path):
    results = make_results(n_samples=4)
    path = tmp_path / "results.json"
    save_results(results, path)
    assert load_results(path) == json.loads(dumps_results(results))
    first = path.read_bytes()
    save_results(load_results(path), path)
    assert path.read_bytes() == first
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]  # no temporary file left


def test_numpy_values_become_plain_json(tmp_path):
    results = make_results(n_samples=2)
    results["samples"][0]["token_scores"] = np.asarray(results["samples"][0]["token_scores"], dtype=np.float32)
    save_results(results, tmp_path / "results.json")
    loaded = load_results(tmp_path / "results.json")
    assert isinstance(loaded["samples"][0]["token_scores"][0], float)
    assert loaded["samples"][0]["token_scores"] == pytest.approx(results["samples"][0]["token_scores"].tolist())


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), np.float32("-inf")])
def test_non_finite_numbers_are_never_written(tmp_path, bad):
    # Regression: NaN used to become null, which the schema then rejected on the next render.
    results = make_results(n_samples=2)
    results["samples"][1]["token_scores"][2] = bad
    with pytest.raises(ResultsError, match="non-finite number at 'samples/1/token_scores/2'"):
        save_results(results, tmp_path / "results.json")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_refused_on_load(tmp_path, constant):
    # Regression: json.loads accepts NaN, the schema check passed, and `render --format json` wrote null.
    path = tmp_path / "results.json"
    save_results(make_results(n_samples=1), path)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"prob_spam": ', f'"prob_spam": {constant}, "was": ', 1), encoding="utf-8")
    with pytest.raises(ResultsError, match=f"not a readable JSON file \\(non-finite number {constant}"):
        load_results(path)


def test_deeply_nested_results_are_one_error(tmp_path):
    # Regression: a 200,000-deep nesting raised RecursionError out of json.loads.
    path = tmp_path / "results.json"
    path.write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    with pytest.raises(ResultsError, match="nested too deeply"):
        load_results(path)


@pytest.mark.parametrize("break_it,where", [
    (lambda r: r["samples"][1]["words"][0].update(score="high"), "samples/1/words/0/score"),
    (lambda r: r["predictions"][3].pop("prob_spam"), "predictions/3"),
    (lambda r: r["aggregate"]["verdict"].update(leading="mostly text"), "aggregate/verdict/leading"),
    (lambda r: r["predictions"][2].pop("shapley"), "predictions/2"),
    (lambda r: r["predictions"][2]["shapley"].update(attention=0.5), "predictions/2/shapley"),
    (lambda r: r["samples"][0]["modality"].update(leading="picture"), "samples/0/modality/leading"),
    (lambda r: r["samples"][0]["modality"]["shapley"].pop("f_none"), "samples/0/modality/shapley"),
    (lambda r: r.pop("methods"), "(top level)"),
    (lambda r: r["dataset"].update(missing_text={"fed_as": "null", "rows": ["2"]}), "dataset/missing_text/rows/0"),
])
def test_invalid_results_name_the_offending_key(tmp_path, break_it, where):
    results = make_results(n_samples=3)
    break_it(results)
    with pytest.raises(ResultsError, match="invalid at '" + where.replace("(", r"\(").replace(")", r"\)") + "'"):
        validate_results(results)
    path = tmp_path / "results.json"
    with pytest.raises(ResultsError):
        save_results(results, path)
    assert not path.exists()  # an invalid document is never written


def test_load_refuses_other_versions_and_non_json(tmp_path):
    path = tmp_path / "results.json"
    results = make_results(n_samples=1)
    results["schema_version"] = "1.0"  # written before whole-set Shapley and sign-aware shares
    path.write_text(json.dumps(results))
    with pytest.raises(ResultsError, match=r"^\S*results.json: schema_version '1.0' is not supported \(expected '2.0'\)$"):
        load_results(path)
    path.write_text("{not json")
    with pytest.raises(ResultsError, match="not a readable JSON file"):
        load_results(path)
    with pytest.raises(ResultsError, match="no such file"):
        load_results(tmp_path / "missing.json")


def test_empty_share_groups_are_null_and_a_wrong_interval_names_its_key():
    results = make_results(n_samples=2)
    results["aggregate"]["groups"]["outcome"]["FN"] = {"leading": "unclear", "hedged": False, "text_share": None,
                                                       "ci95": None, "n": 0, "n_decided_by_default": 0}
    validate_results(results)
    bad = copy.deepcopy(results)
    bad["aggregate"]["verdict"]["ci95"] = [0.4]
    with pytest.raises(ResultsError, match="aggregate/verdict/ci95"):
        validate_results(bad)


def test_a_row_explained_twice_is_refused_naming_both_places(tmp_path):
    results = make_results(3)
    results["samples"].append(copy.deepcopy(results["samples"][1]))
    path = tmp_path / "results.json"
    path.write_text(json.dumps(results), encoding="utf-8")
    with pytest.raises(ResultsError) as error:
        load_results(path)
    message = str(error.value)
    assert f"samples/3/row': row {results['samples'][1]['row']} is explained twice (also at samples/1)" in message
    assert "\n" not in message
    with pytest.raises(ResultsError):
        save_results(results, tmp_path / "again.json")
    assert not (tmp_path / "again.json").exists()
