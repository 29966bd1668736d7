"""The typed document built from results.json alone."""

from __future__ import annotations

from reportgen.results import dumps_results, validate_results
from tests.results_fixture import HOSTILE_STRINGS, make_results


def test_fixture_is_valid_results() -> None:
    for hostile in (False, True):
        results = make_results(4, hostile=hostile)
        validate_results(results)
        assert len(results["samples"]) == 4
        # Plain JSON: dumps works (no NaN, no numpy).
        assert dumps_results(results)


def test_hostile_fixture_carries_attacker_content() -> None:
    text = dumps_results(make_results(6, hostile=True))
    for attack in HOSTILE_STRINGS:
        assert attack.replace('"', '\\"') in text
