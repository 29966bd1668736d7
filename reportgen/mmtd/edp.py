"""The EDP dataset: ``EDP.csv`` (texts, picture names, labels) plus a folder of e-mail pictures.

A row is always named by its 0-based data-row position in the CSV (``row``; the header is not a
row), and that number travels through predictions, results.json and the report, so a user can find
the e-mail again. Everything checkable is checked here, before any model work: columns, labels,
the selection, that every selected picture lies inside the pictures folder, is not too large and
decodes.

Rows are read as MMTD's training code read them (``pd.read_csv`` then ``fillna('null')``): a
missing text reaches the model as the string ``"null"``; and ``--split fold:K`` is the authors'
own ``SplitData(csv, 5)`` cut, so "fold 1" means the rows the fold-1 checkpoint was tested on.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from PIL import Image, ImageFile, UnidentifiedImageError

from reportgen.errors import DataError, ReportgenError, first_line
from reportgen.mmtd.preprocessing import to_rgb
from reportgen.options import DEFAULT_MAX_PIXELS, MISSING_TEXT, parse_rows
from reportgen.names import count, missing_text_note

#: How many bad rows an error message lists before "and N more".
_LIST_AT_MOST = 5

#: Folds of MMTD's training split (``SplitData(csv, 5)`` in the authors' ``main.py``).
MMTD_FOLDS = 5

#: What a missing text is fed to the model as, per ``--missing-text`` (:data:`reportgen.options.MISSING_TEXT`):
#: training's ``fillna('null')`` made it the string "null"; ``empty`` is for models trained another way.
MISSING_TEXT_AS = {"null": "null", "empty": ""}


@dataclass
class EDPDataset:
    """The selected rows of an EDP CSV.

    Attributes:
        csv: the CSV file.
        images: the folder the ``pics`` column is relative to.
        rows: 0-based CSV data-row positions of the selected, usable rows (in selection order).
        texts: their texts as the model reads them (a missing text is ``missing_text_fed_as``).
        pics: their picture names as written in the CSV.
        labels: their labels (0 ham, 1 spam), or None when the CSV has no label column.
        frame: the selected rows of the CSV, all columns, indexed by ``row``.
        text_missing: per selected row, whether the CSV had no text there (pandas read a missing
            value; the model read ``missing_text_fed_as`` instead).
        missing_text_fed_as: what a missing text is fed as: ``"null"`` (training) or ``""``.
        skipped: rows left out by ``skip_invalid``: ``{"row", "pic", "reason"}``.
        selection: how rows were chosen, e.g. ``"all"``, ``"fold:1/5 (MMTD training split: rows
            24-31)"``, ``"rows:3,17"``.
        split: for ``--split``, which rows the fold is and how it was derived (see
            :func:`mmtd_fold_split`); None otherwise.
        n_rows: data rows in the whole CSV.
        columns: the column names used: ``{"text", "pic", "label"}`` (label None when absent).
        max_pixels: pictures with more pixels are refused (``--max-pixels``).
    """

    csv: Path
    images: Path
    rows: list[int]
    texts: list[str]
    pics: list[str]
    labels: list[int] | None
    frame: pd.DataFrame
    text_missing: list[bool] = field(default_factory=list)
    missing_text_fed_as: str = MISSING_TEXT_AS["null"]
    skipped: list[dict[str, Any]] = field(default_factory=list)
    selection: str = "all"
    split: dict[str, Any] | None = None
    n_rows: int = 0
    columns: dict[str, str | None] = field(default_factory=dict)
    max_pixels: int = DEFAULT_MAX_PIXELS

    def __len__(self) -> int:
        return len(self.rows)

    def picture_path(self, i: int) -> Path:
        """Path of the picture of the ``i``-th selected row (``i`` indexes ``rows``, not the CSV)."""
        return self.images / self.pics[i]

    def load_image(self, i: int) -> Image.Image:
        """Open the picture of the ``i``-th selected row as an RGB PIL image, at full resolution.

        Full resolution on purpose: training resized the whole picture, and any earlier reduction
        (JPEG draft, thumbnail) would change the model's input. The pixel limit was checked when
        the dataset was loaded and is checked again here (the file may have changed since).

        Raises:
            DataError: the picture became unreadable or too large after loading (names row and file).
        """
        path = self.picture_path(i)
        try:
            with Image.open(path) as image:
                _check_size(image, self.max_pixels)
                image.load()
                return to_rgb(image)
        except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError, _TooLarge) as error:
            raise DataError(
                f"{self.csv}: row {self.rows[i]}: cannot read picture {path}: {first_line(error)}"
            ) from error

    def text_note(self, i: int) -> str | None:
        """What the report says about the ``i``-th selected row's text, or None when the CSV had one."""
        return missing_text_note(self.missing_text_fed_as) if self.text_missing[i] else None

    def describe(self) -> dict[str, Any]:
        """The results.json ``dataset`` object (plain JSON)."""
        described = {
            "csv": str(self.csv),
            "images": str(self.images),
            "columns": dict(self.columns),
            "n_rows": int(self.n_rows),
            "selection": self.selection,
            "n_selected": len(self.rows),
            "skipped": [dict(item) for item in self.skipped],
            "missing_text": {
                "fed_as": self.missing_text_fed_as,
                "rows": [row for row, missing in zip(self.rows, self.text_missing) if missing],
            },
            "max_pixels": int(self.max_pixels),
        }
        if self.split is not None:
            described["split"] = dict(self.split)
        return described


@dataclass(frozen=True)
class SplitSpec:
    """A parsed ``--split``.

    Attributes:
        method: ``"mmtd"`` (MMTD's training split, ``fold:K``) or ``"stratified"`` (``stratified:K/N``).
        fold: K, 1-based.
        folds: N (always 5 for ``"mmtd"``).
    """

    method: str
    fold: int
    folds: int


_SPLIT_FORMS = "fold:K (MMTD's training folds, K = 1..5) or stratified:K/N (a seeded scikit-learn draw)"


def parse_split(split: str) -> SplitSpec:
    """Parse ``--split``: ``fold:K`` / ``fold:K/5`` (MMTD's folds) or ``stratified:K/N``.

    Raises:
        DataError: any other form, or a K/N out of range (names the value and the accepted forms).
    """
    text = str(split).strip()
    kind, _, rest = text.partition(":")
    kind = kind.strip().lower()
    k_text, slash, n_text = rest.partition("/")
    try:
        k = int(k_text)
        n = int(n_text) if slash else None
    except ValueError:
        raise DataError(f"--split {split!r}: expected {_SPLIT_FORMS}") from None
    if kind == "fold":
        if n is not None and n != MMTD_FOLDS:
            raise DataError(
                f"--split {split!r}: MMTD's training split always has {MMTD_FOLDS} folds (fold:1 .. fold:5); "
                f"for a scikit-learn draw of {n} folds use stratified:{k}/{n} --seed S"
            )
        if not 1 <= k <= MMTD_FOLDS:
            raise DataError(f"--split {split!r}: MMTD's folds are fold:1 .. fold:{MMTD_FOLDS}")
        return SplitSpec("mmtd", k, MMTD_FOLDS)
    if kind == "stratified" and n is not None:
        if n < 2 or not 1 <= k <= n:
            raise DataError(f"--split {split!r}: expected stratified:K/N with N >= 2 and 1 <= K <= N")
        return SplitSpec("stratified", k, n)
    raise DataError(f"--split {split!r}: expected {_SPLIT_FORMS}")


def mmtd_fold_split(n_rows: int, k: int) -> tuple[list[int], dict[str, Any]]:
    """Test rows of fold ``k`` of MMTD's training split, and how they were derived.

    The authors' ``SplitData(csv, 5)`` cuts the CSV, in file order and without shuffling, into chunks
    of q = N // 5 rows, the last chunk also taking the N % 5 leftover rows; the i-th training run
    (checkpoint folder ``fold{i}``) tests on the i-th chunk counted from the end. So fold 1 = rows
    4q .. N-1, fold 2 = 3q .. 4q-1, ..., fold 5 = 0 .. q-1 (0-based CSV data rows).

    Returns:
        ``(rows, split)``: the rows in file order, and the results.json ``dataset.split`` object
        (method, fold, folds, first_row, last_row, n_fold_rows, derivation, row_count_check).

    Raises:
        DataError: fewer than 5 rows (the split has empty folds).
    """
    if n_rows < MMTD_FOLDS:
        raise DataError(f"--split fold:{k}: the CSV has only {n_rows} rows; MMTD's split needs at least {MMTD_FOLDS}")
    q, leftover = divmod(n_rows, MMTD_FOLDS)
    chunk = MMTD_FOLDS - k  # fold 1 is the last chunk
    rows = list(range(chunk * q, n_rows if k == 1 else (chunk + 1) * q))
    # The count rule stated independently of the slicing above, so the two can be checked against each other.
    expected = q + (leftover if k == 1 else 0)
    rule = f"q + N % 5 = {q} + {leftover}" if k == 1 else f"q = {q}"
    if len(rows) != expected:  # a bug in this function, not a user error
        raise RuntimeError(f"fold {k} of {n_rows} rows has {len(rows)} rows, the rule says {expected}")
    first, last = _times_q(chunk), ("N-1" if k == 1 else f"{_times_q(chunk + 1)}-1")
    split = {
        "method": "mmtd",
        "fold": k,
        "folds": MMTD_FOLDS,
        "first_row": rows[0],
        "last_row": rows[-1],
        "n_fold_rows": len(rows),
        "derivation": (
            f"MMTD's training split (SplitData(csv, 5) in the authors' code): the N = {n_rows} CSV rows in file "
            f"order, no shuffle, cut into 5 chunks of q = N // 5 = {q} rows, the last chunk also taking the "
            f"N % 5 = {leftover} leftover rows; fold 1 tests on the last chunk, fold 2 on the one before, "
            f"..., fold 5 on the first. Fold {k} = rows {first} .. {last} = {rows[0]} .. {rows[-1]}; "
            f"a checkpoint of this fold was trained on the other rows."
        ),
        "row_count_check": {"rule": rule, "expected": expected, "actual": len(rows), "ok": True},
    }
    return rows, split


def _times_q(count: int) -> str:
    """``count`` chunks of q rows, written as in the fold rule: 0, q, 2q, ..."""
    return "0" if count == 0 else "q" if count == 1 else f"{count}q"


def stratified_fold_split(
    labels: list[int] | None, n_rows: int, k: int, n: int, seed: int
) -> tuple[list[int], dict[str, Any]]:
    """Test rows of fold ``k`` (1-based) of ``n`` of a seeded scikit-learn draw (NOT MMTD's folds).

    sklearn ``StratifiedKFold(n_splits=n, shuffle=True, random_state=seed)`` over all CSV rows when
    labels exist (each fold keeps the ham/spam ratio), plain ``KFold`` with the same arguments when
    not. Folds are cut before pictures are checked, so they do not move when pictures are skipped.

    Returns:
        ``(rows, split)``: the rows in ascending order, and the results.json ``dataset.split`` object.
    """
    from sklearn.model_selection import KFold, StratifiedKFold

    if n_rows < n:
        raise DataError(f"--split stratified:{k}/{n}: the CSV has only {n_rows} rows, fewer than {n} folds")
    positions = list(range(n_rows))
    try:
        if labels is None:
            splits = KFold(n_splits=n, shuffle=True, random_state=seed).split(positions)
        else:
            splits = StratifiedKFold(n_splits=n, shuffle=True, random_state=seed).split(positions, labels)
        folds = [sorted(int(i) for i in test) for _, test in splits]
    except ValueError as error:
        raise DataError(f"--split stratified:{k}/{n}: {error}") from error
    drawn = "StratifiedKFold" if labels is not None else "KFold (no labels to stratify by)"
    split = {
        "method": "stratified",
        "fold": k,
        "folds": n,
        "seed": seed,
        "n_fold_rows": len(folds[k - 1]),
        "derivation": (
            f"scikit-learn {drawn}(n_splits={n}, shuffle=True, random_state={seed}) over all {n_rows} CSV rows, "
            f"test rows of fold {k}. NOT the folds MMTD was trained on: a checkpoint of MMTD's fold {k} saw most "
            f"of these rows in training (use --split fold:K for those)."
        ),
    }
    return folds[k - 1], split


def load_edp(
    csv: str | Path,
    images: str | Path,
    *,
    text_column: str = "texts",
    pic_column: str = "pics",
    label_column: str | None = "labels",
    split: str | None = None,
    rows: str | Sequence[int] | None = None,
    skip_invalid: bool = False,
    seed: int = 0,
    require_labels: bool = False,
    missing_text: str = "null",
    max_pixels: int = DEFAULT_MAX_PIXELS,
    allow_outside_images: bool = False,
) -> EDPDataset:
    """Read and check an EDP CSV and its pictures.

    Args:
        csv: the CSV file.
        images: the folder the picture column's paths are relative to.
        text_column, pic_column: column names (required).
        label_column: column of 0/1 labels. When it is absent from the CSV (or None) the data is
            unlabelled: ``labels`` is None and metrics are skipped, unless ``require_labels``.
        split: ``"fold:K"`` (K = 1..5, also ``"fold:K/5"``) selects the test rows of MMTD's training
            fold K (:func:`mmtd_fold_split`); ``"stratified:K/N"`` a seeded scikit-learn fold
            (:func:`stratified_fold_split`).
        rows: explicit 0-based CSV data rows, a list or a ``"3,17"`` text
            (:func:`reportgen.options.parse_rows`; kept in the given order, duplicates dropped).
        skip_invalid: skip rows whose picture is missing, unreadable or too large (recorded in
            ``skipped``) instead of stopping.
        seed: random state of ``stratified:K/N``.
        require_labels: a missing label column is an error (the user named it explicitly).
        missing_text: ``"null"`` feeds a missing text as the string "null" (training's
            ``fillna('null')``); ``"empty"`` as an empty text.
        max_pixels: pictures with more pixels (width × height) are refused before decoding; at most
            :data:`DEFAULT_MAX_PIXELS` (PIL's own limit).
        allow_outside_images: accept picture names that resolve outside ``images`` (absolute
            paths, ``..``, symlinks); refused by default.

    Raises:
        DataError: one line naming the CSV and the column, row, value or picture at fault.
    """
    csv, images = Path(csv), Path(images)
    if rows is not None:  # "3,17" or a list; an empty list stays an (empty) selection, refused below
        try:
            rows = list(parse_rows(rows) or ())
        except ReportgenError as error:
            raise DataError(f"--rows: {error.message}") from None
    if missing_text not in MISSING_TEXT:
        raise DataError(f"--missing-text {missing_text!r}: expected one of {', '.join(MISSING_TEXT)}")
    if not 1 <= int(max_pixels) <= DEFAULT_MAX_PIXELS:
        raise DataError(f"--max-pixels {max_pixels}: expected 1 .. {DEFAULT_MAX_PIXELS:,} (PIL's own limit)")
    frame = _read_csv(csv, text_columns=(text_column, pic_column))
    for role, column in (("text", text_column), ("picture", pic_column)):
        if column not in frame.columns:
            raise DataError(f"{csv}: no {role} column {column!r} (columns: {', '.join(map(str, frame.columns))})")
    if not _is_dir(images):
        raise DataError(f"pictures folder {images} does not exist (pass --images DIR)")
    has_labels = label_column is not None and label_column in frame.columns
    if label_column is not None and not has_labels and require_labels:
        raise DataError(f"{csv}: no label column {label_column!r} (columns: {', '.join(map(str, frame.columns))})")
    all_labels = _check_labels(csv, frame[label_column], label_column) if has_labels else None
    n_rows = len(frame)

    split_info = None
    if split is not None and rows is not None:
        raise DataError("pass either --split or --rows, not both")
    if split is not None:
        spec = parse_split(split)
        if spec.method == "mmtd":
            selected, split_info = mmtd_fold_split(n_rows, spec.fold)
            selection = f"fold:{spec.fold}/5 (MMTD training split: rows {selected[0]}-{selected[-1]})"
        else:
            selected, split_info = stratified_fold_split(all_labels, n_rows, spec.fold, spec.folds, seed)
            kind = "StratifiedKFold" if all_labels is not None else "KFold, no labels"
            selection = f"stratified:{spec.fold}/{spec.folds} ({kind}, seed {seed}; not MMTD's training folds)"
    elif rows is not None:
        bad = [r for r in rows if not 0 <= int(r) < n_rows]
        if bad:
            raise DataError(
                f"{csv}: row {bad[0]} does not exist (rows are 0-based CSV data rows, 0..{n_rows - 1})"
            )
        selected = list(rows)
        selection = "rows:" + ",".join(map(str, selected))
    else:
        selected = list(range(n_rows))
        selection = "all"
    if not selected:
        raise DataError(f"{csv}: the selection ({selection}) is empty")

    pics_all = frame[pic_column]
    if not allow_outside_images:
        _refuse_outside(csv, images, [(row, pics_all.iloc[row]) for row in selected])
    reasons = _picture_problems(images, [pics_all.iloc[row] for row in selected], int(max_pixels))
    skipped = [
        {"row": row, "pic": _pic_name(pics_all.iloc[row]), "reason": reason}
        for row, reason in zip(selected, reasons)
        if reason is not None
    ]
    if skipped and not skip_invalid:
        listed = "; ".join(f"row {s['row']} ({s['pic']}: {s['reason']})" for s in skipped[:_LIST_AT_MOST])
        more = f" and {len(skipped) - _LIST_AT_MOST} more" if len(skipped) > _LIST_AT_MOST else ""
        raise DataError(
            f"{csv}: {count(len(skipped), 'selected row')} {'has a' if len(skipped) == 1 else 'have'} missing, "
            f"unreadable or too large {'picture' if len(skipped) == 1 else 'pictures'} in {images}: "
            f"{listed}{more}; fix them or pass --skip-invalid to skip them"
        )
    bad_rows = {s["row"] for s in skipped}
    kept = [row for row in selected if row not in bad_rows]
    if not kept:
        raise DataError(f"{csv}: every selected row ({selection}) was skipped for an unusable picture")
    if split_info is not None:
        split_info["n_used"] = len(kept)  # fold rows left after --skip-invalid

    chosen = frame.iloc[kept].copy()
    chosen.index = pd.Index(kept, name="row")
    fed_as = MISSING_TEXT_AS[missing_text]
    text_missing = [bool(pd.isna(value)) for value in chosen[text_column]]
    return EDPDataset(
        csv=csv,
        images=images,
        rows=kept,
        texts=[fed_as if missing else str(value) for value, missing in zip(chosen[text_column], text_missing)],
        pics=[_pic_name(value) for value in chosen[pic_column]],
        labels=[all_labels[row] for row in kept] if all_labels is not None else None,
        frame=chosen,
        text_missing=text_missing,
        missing_text_fed_as=fed_as,
        skipped=skipped,
        selection=selection,
        split=split_info,
        n_rows=n_rows,
        columns={"text": text_column, "pic": pic_column, "label": label_column if has_labels else None},
        max_pixels=int(max_pixels),
    )


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # e.g. a name longer than the filesystem allows (ENAMETOOLONG)
        return False


def _read_csv(csv: Path, text_columns: tuple[str, ...]) -> pd.DataFrame:
    try:
        exists = csv.is_file()
    except OSError as error:  # e.g. ENAMETOOLONG
        raise DataError(f"CSV file {csv}: {first_line(error)}") from error
    if not exists:
        raise DataError(f"CSV file {csv} does not exist")
    try:
        # Default NA handling, as training's pandas read: empty text cells become NaN, which
        # load_edp replaces as fillna('null') did. Text and picture columns stay strings ("007"
        # must not become 7.0); pandas ignores absent names here.
        frame = pd.read_csv(csv, dtype={column: str for column in text_columns})
        # pandas renames a repeated header name ("labels.1"), which would silently use the first
        # column or none; the raw header row tells.
        header = pd.read_csv(csv, header=None, nrows=1, dtype=str, na_filter=False).iloc[0].tolist()
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as error:
        raise DataError(f"{csv}: not a readable CSV: {str(error).strip()}") from error
    names = [name for name in header if name]  # pandas names empty ones "Unnamed: i"
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        name = repeated[0]
        positions = [str(i + 1) for i, other in enumerate(header) if other == name]
        raise DataError(
            f"{csv}: column name {name!r} appears {len(positions)} times in the header (columns "
            f"{', '.join(positions)}); rename the copies so each column has its own name"
        )
    return frame


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


def _pic_name(value: Any) -> str:
    return "" if pd.isna(value) else str(value)


def _refuse_outside(csv: Path, images: Path, named: list[tuple[int, Any]]) -> None:
    """Refuse picture names that resolve outside ``images``: absolute paths, ``..``, symlinks out.

    A CSV comes from outside; without this a row could make reportgen read, and embed in
    results.json and the report, any picture the user can read.
    """
    root = images.resolve()
    outside = []
    for row, name in named:
        if pd.isna(name) or not str(name).strip():
            continue  # no name: reported with the picture checks
        try:
            resolved = (images / str(name)).resolve()
        except (OSError, RuntimeError):  # symlink loop (RuntimeError before Python 3.13): a picture problem
            continue
        if not resolved.is_relative_to(root):
            outside.append((row, str(name)))
    if outside:
        row, name = outside[0]
        more = f" (and {count(len(outside) - 1, 'more row')})" if len(outside) > 1 else ""
        raise DataError(
            f"{csv}: row {row}: picture {name!r} lies outside the pictures folder {images}{more}; "
            "move it inside --images or pass --allow-outside-images"
        )


class _TooLarge(ValueError):
    """A picture has more pixels than ``--max-pixels``."""


def _check_size(image: Image.Image, max_pixels: int) -> None:
    """Refuse a picture above ``max_pixels`` from its header, before anything is decoded."""
    width, height = image.size
    if width * height > max_pixels:
        raise _TooLarge(
            f"too large: {width}x{height} = {width * height:,} pixels, more than --max-pixels {max_pixels:,}"
        )


@contextmanager
def _strict_pil() -> Iterator[None]:
    """PIL raises, instead of padding a truncated file or warning about a bomb, for the duration.

    WeasyPrint sets ``ImageFile.LOAD_TRUNCATED_IMAGES = True`` when it is imported (to render what
    it can); a check must not inherit that, or a truncated JPEG would pass and reach the model half
    grey. PIL's DecompressionBombWarning only fires above PIL's limit, which ``max_pixels`` never
    exceeds, so as an error it becomes a reason instead of a multi-line warning. Both switches are
    process-wide: they are set here, in the calling thread, around the worker pool (``catch_warnings``
    is not thread-safe), and the workers only read them.
    """
    truncated = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = truncated


def _picture_problems(images: Path, names: list[Any], max_pixels: int) -> list[str | None]:
    """Why each picture cannot be used (None when it decodes), checked in parallel threads."""
    workers = max(1, min(8, os.cpu_count() or 1, len(names)))
    with _strict_pil(), ThreadPoolExecutor(max_workers=workers, thread_name_prefix="reportgen-check") as pool:
        return list(pool.map(lambda name: _picture_problem(images, name, max_pixels), names))


def _picture_problem(images: Path, name: Any, max_pixels: int) -> str | None:
    """Why one picture cannot be used, or None when its header and data decode.

    The data are checked the cheapest way that still reads all of them: a JPEG is decoded in draft
    mode (reduced scale, so a truncated file fails as it would at full size, in a fraction of the
    time); a PNG is verified (every chunk read and its CRC checked, which catches truncation and
    damage); other formats are decoded fully.
    """
    if pd.isna(name) or not str(name).strip():
        return "no picture name"
    path = images / str(name)
    try:
        if not path.is_file():
            return "missing"
    except OSError as error:  # e.g. a name longer than 255 bytes (ENAMETOOLONG)
        return f"unusable name ({first_line(error)})"
    try:
        with Image.open(path) as image:
            _check_size(image, max_pixels)
            if image.format == "PNG":
                image.verify()
            else:
                if image.format == "JPEG":
                    image.draft("RGB", (1, 1))
                image.load()
    except _TooLarge as error:
        return str(error)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        return f"too large for PIL ({first_line(error)})"
    except UnidentifiedImageError:
        return "unreadable (not a picture PIL can open)"
    except (OSError, ValueError, SyntaxError, EOFError) as error:
        return f"unreadable ({first_line(error)})"
    return None
