"""results.json: the versioned, plain-JSON contract between analysis and presentation.

``analyze`` writes it (with the model), ``render`` reads it (without). Its JSON Schema is
``reportgen/schema/results.schema.json``; both directions validate against it.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from reportgen.errors import ResultsError

SCHEMA_VERSION = "1.0"
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


def timestamp(deterministic: bool) -> str | None:
    """ISO UTC time for a document: SOURCE_DATE_EPOCH when set, else now; None when deterministic without it."""
    from datetime import datetime, timezone

    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            moment = datetime.fromtimestamp(int(epoch), tz=timezone.utc)
        except ValueError:
            raise ResultsError(f"SOURCE_DATE_EPOCH={epoch!r} is not an integer number of seconds") from None
    elif deterministic:
        return None
    else:
        moment = datetime.now(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _plain(value: Any) -> Any:
    """Convert numpy scalars/arrays and tuples to plain JSON; refuse NaN/inf (not JSON)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return _plain(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def dumps_results(results: dict[str, Any]) -> str:
    """Deterministic JSON text: sorted keys, fixed indentation, trailing newline."""
    return json.dumps(_plain(results), indent=1, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``, on failure it vanishes.

    A reader never sees half a file, and the result gets the user's usual permissions.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        # mkstemp creates 0600 files; a report is meant to be shared, so honour the umask like open() does.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_path`)."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(path: Path, text: str) -> None:
    """UTF-8, ``\\n`` line endings, written atomically (see :func:`write_bytes_atomic`)."""
    write_bytes_atomic(path, text.encode("utf-8"))


def save_results(results: dict[str, Any], path: Path) -> None:
    """Validate, then atomically write results.json."""
    plain = _plain(results)
    validate_results(plain, source=str(path))
    write_text_atomic(Path(path), dumps_results(plain))


def load_results(path: Path) -> dict[str, Any]:
    """Read and validate a results.json; any problem is one clear :class:`ResultsError`."""
    path = Path(path)
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResultsError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsError(f"{path}: not a readable JSON file ({exc})") from None
    if not isinstance(results, dict):
        raise ResultsError(f"{path}: expected a JSON object at the top level")
    version = results.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ResultsError(f"{path}: schema_version {version!r} is not supported (expected {SCHEMA_VERSION!r})")
    validate_results(results, source=str(path))
    return results
