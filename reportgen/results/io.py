"""results.json: the versioned, plain-JSON contract between analysis and presentation.

``analyze`` writes it (with the model), ``render`` reads it (without). Its JSON Schema is
``reportgen/results/schema/results.schema.json``; both directions validate against it.
"""

from __future__ import annotations

import json
import math
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from reportgen.errors import ResultsError

# Atomic writes live with the other output rules; re-exported for the modules that write results.
from reportgen.output import atomic_path, write_bytes_atomic, write_text_atomic  # noqa: F401

SCHEMA_VERSION = "2.0"
SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / "results.schema.json"


@lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    """The published JSON Schema of results.json."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def validate_results(results: dict[str, Any], source: str = "results") -> None:
    """Raise :class:`ResultsError` naming the first offending key if ``results`` breaks the schema."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(load_schema())
    error = next(iter(sorted(validator.iter_errors(results), key=lambda e: list(e.absolute_path))), None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise ResultsError(f"{source}: invalid at '{where}': {error.message[:200]}")
    _refuse_repeated_rows(results, source)


def _refuse_repeated_rows(results: dict[str, Any], source: str) -> None:
    """A row explained twice is not a valid results file (JSON Schema cannot say "unique by key").

    The analysis never writes one; a hand-edited file that did would give two cards the same
    anchor and asset names, and the report would contradict itself.
    """
    first_at: dict[Any, int] = {}
    for index, sample in enumerate(results.get("samples") or []):
        row = sample.get("row") if isinstance(sample, dict) else None
        if row in first_at:
            raise ResultsError(f"{source}: invalid at 'samples/{index}/row': row {row} is explained twice "
                               f"(also at samples/{first_at[row]})")
        first_at[row] = index


def timestamp(deterministic: bool) -> str | None:
    """ISO UTC time for a document: SOURCE_DATE_EPOCH when set, else now; None when deterministic without it."""
    from datetime import datetime, timezone

    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            seconds = int(epoch)
        except ValueError:
            raise ResultsError(f"SOURCE_DATE_EPOCH={epoch[:40]!r} is not an integer number of seconds") from None
        try:
            moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise ResultsError(f"SOURCE_DATE_EPOCH={epoch[:40]!r} is out of range (seconds since 1970 up to "
                               "the year 9999)") from None
    elif deterministic:
        return None
    else:
        moment = datetime.now(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _plain(value: Any) -> Any:
    """Convert numpy scalars/arrays and tuples to plain JSON.

    Raises:
        ResultsError: for NaN or infinity (not JSON; a null in its place would break the schema),
            naming the first key that holds one.
    """
    try:
        return _to_plain(value)
    except _NonFinite:
        raise ResultsError(f"results: non-finite number at '{_non_finite_at(value)}' (never written)") from None


class _NonFinite(ValueError):
    pass


def _to_plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_plain(v) for v in value]
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return _to_plain(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        raise _NonFinite
    return value


def _non_finite_at(value: Any, where: str = "") -> str | None:
    """The key path of the first NaN/infinity in ``value`` (only called once one was found)."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, (list, tuple)) else ()
    for key, item in items:
        found = _non_finite_at(item, f"{where}/{key}")
        if found is not None:
            return found
    if isinstance(value, float) and not math.isfinite(value):
        return where.lstrip("/") or "(top level)"
    return None


def dumps_results(results: dict[str, Any]) -> str:
    """Deterministic JSON text: sorted keys, fixed indentation, trailing newline.

    Raises:
        ResultsError: a number is NaN or infinite (never written).
    """
    return json.dumps(_plain(results), indent=1, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def _refuse_constant(name: str) -> float:
    # json.loads accepts NaN, Infinity and -Infinity, which are not JSON and not valid results.
    raise ValueError(f"non-finite number {name} (not valid JSON)")


def save_results(results: dict[str, Any], path: Path) -> None:
    """Validate, then atomically write results.json."""
    plain = _plain(results)
    validate_results(plain, source=str(path))
    write_text_atomic(Path(path), dumps_results(plain))


def load_results(path: Path) -> dict[str, Any]:
    """Read and validate a results.json; any problem is one clear :class:`ResultsError`."""
    path = Path(path)
    try:
        results = json.loads(path.read_text(encoding="utf-8"), parse_constant=_refuse_constant)
    except FileNotFoundError:
        raise ResultsError(f"{path}: no such file") from None
    except RecursionError:
        raise ResultsError(f"{path}: nested too deeply to be a results file") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:  # ValueError includes json.JSONDecodeError
        raise ResultsError(f"{path}: not a readable JSON file ({exc})") from None
    if not isinstance(results, dict):
        raise ResultsError(f"{path}: expected a JSON object at the top level")
    version = results.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ResultsError(f"{path}: schema_version {str(version)[:40]!r} is not supported (expected "
                           f"{SCHEMA_VERSION!r})")
    try:
        validate_results(results, source=str(path))
    except RecursionError:
        raise ResultsError(f"{path}: nested too deeply to be a results file") from None
    return results
