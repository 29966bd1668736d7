"""The EDP dataset: ``EDP.csv`` (texts, picture names, labels) plus a folder of e-mail pictures.

A row is always named by its 0-based data-row position in the CSV (``row``; the header is not a
row), and that number travels through predictions, results.json and the report, so a user can find
the e-mail again. Everything checkable is checked here, before any model work: columns, labels,
the selection and that every selected picture opens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from PIL import Image, UnidentifiedImageError

from reportgen.errors import DataError
from reportgen.mmtd.preprocessing import to_rgb

#: How many bad rows an error message lists before "and N more".
_LIST_AT_MOST = 5


@dataclass
class EDPDataset:
    """The selected rows of an EDP CSV.

    Attributes:
        csv: the CSV file.
        images: the folder the ``pics`` column is relative to.
        rows: 0-based CSV data-row positions of the selected, usable rows (in selection order).
        texts: their texts (NaN → ``""``).
        pics: their picture names as written in the CSV.
        labels: their labels (0 ham, 1 spam), or None when the CSV has no label column.
        frame: the selected rows of the CSV, all columns, indexed by ``row``.
        skipped: rows left out by ``skip_invalid``: ``{"row", "pic", "reason"}``.
        selection: how rows were chosen, e.g. ``"all"``, ``"fold:1/5 (stratified, seed 0)"``, ``"rows:3,17"``.
        n_rows: data rows in the whole CSV.
        columns: the column names used: ``{"text", "pic", "label"}`` (label None when absent).
    """

    csv: Path
    images: Path
    rows: list[int]
    texts: list[str]
    pics: list[str]
    labels: list[int] | None
    frame: pd.DataFrame
    skipped: list[dict[str, Any]] = field(default_factory=list)
    selection: str = "all"
    n_rows: int = 0
    columns: dict[str, str | None] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.rows)

    def picture_path(self, i: int) -> Path:
        """Path of the picture of the ``i``-th selected row (``i`` indexes ``rows``, not the CSV)."""
        return self.images / self.pics[i]

    def load_image(self, i: int) -> Image.Image:
        """Open the picture of the ``i``-th selected row as an RGB PIL image.

        Raises:
            DataError: the picture became unreadable after loading (names row and file).
        """
        path = self.picture_path(i)
        try:
            with Image.open(path) as image:
                image.load()
                return to_rgb(image)
        except (OSError, UnidentifiedImageError, ValueError) as error:
            raise DataError(f"{self.csv}: row {self.rows[i]}: cannot read picture {path}: {error}") from error

    def describe(self) -> dict[str, Any]:
        """The results.json ``dataset`` object (plain JSON)."""
        return {
            "csv": str(self.csv),
            "images": str(self.images),
            "columns": dict(self.columns),
            "n_rows": int(self.n_rows),
            "selection": self.selection,
            "n_selected": len(self.rows),
            "skipped": [dict(item) for item in self.skipped],
        }


def parse_rows(text: str | None) -> list[int] | None:
    """Parse ``--rows "3,17,42"`` into ``[3, 17, 42]`` (``None``/empty → None).

    Raises:
        DataError: an entry is not a non-negative integer (names it).
    """
    if text is None or not str(text).strip():
        return None
    rows = []
    for part in str(text).split(","):
        part = part.strip()
        if not part.isdigit():
            raise DataError(f"--rows: {part!r} is not a row number (0-based CSV data rows, e.g. --rows 3,17)")
        rows.append(int(part))
    return rows


def parse_split(split: str) -> tuple[int, int]:
    """Parse ``"fold:K/N"`` into ``(K, N)`` with 1 ≤ K ≤ N and N ≥ 2.

    Raises:
        DataError: any other form (names the value).
    """
    text = split.strip()
    try:
        kind, rest = text.split(":", 1)
        k_text, n_text = rest.split("/", 1)
        k, n = int(k_text), int(n_text)
    except ValueError:
        raise DataError(f"--split {split!r}: expected fold:K/N, e.g. fold:1/5") from None
    if kind.strip().lower() != "fold" or n < 2 or not 1 <= k <= n:
        raise DataError(f"--split {split!r}: expected fold:K/N with N >= 2 and 1 <= K <= N, e.g. fold:1/5")
    return k, n


def fold_rows(labels: list[int] | None, n_rows: int, k: int, n: int, seed: int) -> list[int]:
    """Test rows of fold ``k`` (1-based) of ``n``.

    sklearn ``StratifiedKFold(n_splits=n, shuffle=True, random_state=seed)`` over all CSV rows when
    labels exist (each fold keeps the ham/spam ratio), plain ``KFold`` with the same arguments when
    not. Folds are cut before pictures are checked, so they do not move when pictures are skipped.
    """
    from sklearn.model_selection import KFold, StratifiedKFold

    if n_rows < n:
        raise DataError(f"--split fold:{k}/{n}: the CSV has only {n_rows} rows, fewer than {n} folds")
    positions = list(range(n_rows))
    try:
        if labels is None:
            splits = KFold(n_splits=n, shuffle=True, random_state=seed).split(positions)
        else:
            splits = StratifiedKFold(n_splits=n, shuffle=True, random_state=seed).split(positions, labels)
        folds = [sorted(int(i) for i in test) for _, test in splits]
    except ValueError as error:
        raise DataError(f"--split fold:{k}/{n}: {error}") from error
    return folds[k - 1]


def load_edp(
    csv: str | Path,
    images: str | Path,
    *,
    text_column: str = "texts",
    pic_column: str = "pics",
    label_column: str | None = "labels",
    split: str | None = None,
    rows: list[int] | None = None,
    skip_invalid: bool = False,
    seed: int = 0,
    require_labels: bool = False,
) -> EDPDataset:
    """Read and check an EDP CSV and its pictures.

    Args:
        csv: the CSV file.
        images: the folder the picture column's paths are relative to.
        text_column, pic_column: column names (required).
        label_column: column of 0/1 labels. When it is absent from the CSV (or None) the data is
            unlabelled: ``labels`` is None and metrics are skipped, unless ``require_labels``.
        split: ``"fold:K/N"`` selects the test rows of fold K (1-based) of N (see :func:`fold_rows`).
        rows: explicit 0-based CSV data rows (kept in the given order, duplicates dropped).
        skip_invalid: skip rows whose picture is missing or unreadable (recorded in ``skipped``)
            instead of stopping.
        seed: random state of the fold split.
        require_labels: a missing label column is an error (the user named it explicitly).

    Raises:
        DataError: one line naming the CSV and the column, row, value or picture at fault.
    """
    csv, images = Path(csv), Path(images)
    frame = _read_csv(csv, text_columns=(text_column, pic_column))
    for role, column in (("text", text_column), ("picture", pic_column)):
        if column not in frame.columns:
            raise DataError(f"{csv}: no {role} column {column!r} (columns: {', '.join(map(str, frame.columns))})")
    if not images.is_dir():
        raise DataError(f"pictures folder {images} does not exist (pass --images DIR)")
    has_labels = label_column is not None and label_column in frame.columns
    if label_column is not None and not has_labels and require_labels:
        raise DataError(f"{csv}: no label column {label_column!r} (columns: {', '.join(map(str, frame.columns))})")
    all_labels = _check_labels(csv, frame[label_column], label_column) if has_labels else None
    n_rows = len(frame)

    if split is not None and rows is not None:
        raise DataError("pass either --split or --rows, not both")
    if split is not None:
        k, n = parse_split(split)
        selected = fold_rows(all_labels, n_rows, k, n, seed)
        kind = "stratified" if all_labels is not None else "unstratified: no labels"
        selection = f"fold:{k}/{n} ({kind}, seed {seed})"
    elif rows is not None:
        bad = [r for r in rows if not 0 <= int(r) < n_rows]
        if bad:
            raise DataError(
                f"{csv}: row {bad[0]} does not exist (rows are 0-based CSV data rows, 0..{n_rows - 1})"
            )
        selected = list(dict.fromkeys(int(r) for r in rows))
        selection = "rows:" + ",".join(map(str, selected))
    else:
        selected = list(range(n_rows))
        selection = "all"
    if not selected:
        raise DataError(f"{csv}: the selection ({selection}) is empty")

    pics_all = frame[pic_column]
    skipped = []
    for row in selected:
        reason = _picture_problem(images, pics_all.iloc[row])
        if reason is not None:
            skipped.append({"row": row, "pic": _pic_name(pics_all.iloc[row]), "reason": reason})
    if skipped and not skip_invalid:
        listed = "; ".join(f"row {s['row']} ({s['pic']}: {s['reason']})" for s in skipped[:_LIST_AT_MOST])
        more = f" and {len(skipped) - _LIST_AT_MOST} more" if len(skipped) > _LIST_AT_MOST else ""
        raise DataError(
            f"{csv}: {len(skipped)} selected row(s) have missing or unreadable pictures in {images}: "
            f"{listed}{more}; fix them or pass --skip-invalid to skip them"
        )
    bad_rows = {s["row"] for s in skipped}
    kept = [row for row in selected if row not in bad_rows]
    if not kept:
        raise DataError(f"{csv}: every selected row ({selection}) was skipped for an unreadable picture")

    chosen = frame.iloc[kept].copy()
    chosen.index = pd.Index(kept, name="row")
    return EDPDataset(
        csv=csv,
        images=images,
        rows=kept,
        texts=[_text(value) for value in chosen[text_column]],
        pics=[_pic_name(value) for value in chosen[pic_column]],
        labels=[all_labels[row] for row in kept] if all_labels is not None else None,
        frame=chosen,
        skipped=skipped,
        selection=selection,
        n_rows=n_rows,
        columns={"text": text_column, "pic": pic_column, "label": label_column if has_labels else None},
    )


def _read_csv(csv: Path, text_columns: tuple[str, ...]) -> pd.DataFrame:
    if not csv.is_file():
        raise DataError(f"CSV file {csv} does not exist")
    try:
        # Default NA handling, as training's pandas read: empty text cells become NaN → "". Text and
        # picture columns stay strings ("007" must not become 7.0); pandas ignores absent names here.
        return pd.read_csv(csv, dtype={column: str for column in text_columns})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as error:
        raise DataError(f"{csv}: not a readable CSV: {str(error).strip()}") from error


def _check_labels(csv: Path, column: pd.Series, name: str) -> list[int]:
    labels = []
    for row, value in enumerate(column):
        # Accept 0/1 written as ints, floats (1.0) or strings ("1"); anything else names its row.
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = float("nan")
        if number not in (0.0, 1.0):
            raise DataError(f"{csv}: row {row}: label {value!r} in column {name!r} is not 0 (ham) or 1 (spam)")
        labels.append(int(number))
    return labels


def _text(value: Any) -> str:
    return "" if pd.isna(value) else str(value)


def _pic_name(value: Any) -> str:
    return "" if pd.isna(value) else str(value)


def _picture_problem(images: Path, name: Any) -> str | None:
    """Why the picture cannot be used, or None when it opens (header and data checked by PIL verify)."""
    if pd.isna(name) or not str(name).strip():
        return "no picture name"
    path = images / str(name)
    if not path.is_file():
        return "missing"
    try:
        with Image.open(path) as image:
            image.verify()
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError) as error:
        return f"unreadable ({type(error).__name__})"
    return None
