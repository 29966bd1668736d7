"""Write a tiny EDP folder (``EDP.csv`` + ``pics/*.png``) for tests.

Usage::

    from tests.edp import write_edp
    csv_path, images_dir = write_edp(tmp_path, n=6)
    # csv_path = tmp_path/"EDP.csv" with columns texts, pics, labels
    # images_dir = tmp_path/"pics"; pics holds names relative to it ("0.png", ...)

Pictures are drawn with PIL (spam: warm background with a big bar; ham: cool background with text
lines), so a model sees different inputs per row. Texts use words from ``tests.factories.VOCAB``.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Sequence

import pandas as pd
from PIL import Image, ImageDraw

from tests.factories import VOCAB

_WORDS = [w for w in VOCAB if not w.startswith("[") and not w.startswith("##")]
_SPAM_WORDS = ["win", "free", "money", "now", "click", "here", "prize", "offer", "cheap", "pills", "gratis"]
_HAM_WORDS = ["meeting", "tomorrow", "invoice", "attached", "hello", "team", "report", "lunch", "thanks"]


def write_edp(
    folder: Path,
    n: int = 6,
    *,
    labels: Sequence[int | str | float | None] | None = None,
    texts: Sequence[str | None] | None = None,
    modes: Sequence[str] | None = None,
    size: tuple[int, int] = (48, 40),
    missing: Sequence[int] = (),
    corrupt: Sequence[int] = (),
    with_labels: bool = True,
    columns: dict[str, str] | None = None,
    seed: int = 0,
) -> tuple[Path, Path]:
    """Write ``folder/EDP.csv`` and ``folder/pics/<row>.png`` and return ``(csv_path, images_dir)``.

    Args:
        folder: created if needed.
        n: number of data rows.
        labels: per-row labels (default alternates 0, 1, 0, …); written as given, so tests can put
            bad values (2, "spam", None) in the CSV.
        texts: per-row texts (default: a few spam or ham words matching the label); ``None`` is
            written as an empty cell (pandas reads NaN).
        modes: per-row PIL modes of the saved pictures (default all "RGB"); e.g. "L", "RGBA", "P",
            "CMYK" (saved as ``<row>.jpg``; every other picture is ``<row>.png``).
        size: ``(width, height)`` of the pictures.
        missing: rows whose picture file is not written (the CSV still names it).
        corrupt: rows whose picture file holds garbage bytes instead of a PNG.
        with_labels: False leaves the label column out of the CSV.
        columns: rename columns, e.g. ``{"texts": "body"}``.
        seed: seeds the default texts and drawings.
    """
    folder = Path(folder)
    images_dir = folder / "pics"
    images_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    labels = list(labels) if labels is not None else [i % 2 for i in range(n)]
    if texts is None:
        texts = [
            " ".join(rng.choice(_SPAM_WORDS if label == 1 else _HAM_WORDS) for _ in range(3 + i % 4))
            for i, label in enumerate(labels)
        ]
    modes = list(modes) if modes is not None else ["RGB"] * n
    pics = []
    for row in range(n):
        # PNG cannot hold CMYK; such pictures are written as JPEG.
        name = f"{row}.jpg" if modes[row] == "CMYK" else f"{row}.png"
        pics.append(name)
        path = images_dir / name
        if row in missing:
            continue
        if row in corrupt:
            path.write_bytes(b"this is not a png\x00\x01")
            continue
        _draw(labels[row] == 1, size, rng).convert(modes[row]).save(path)
    frame = {"texts": list(texts), "pics": pics}
    if with_labels:
        frame["labels"] = labels
    csv_path = folder / "EDP.csv"
    pd.DataFrame(frame).rename(columns=columns or {}).to_csv(csv_path, index=False)
    return csv_path, images_dir


def _draw(spam: bool, size: tuple[int, int], rng: random.Random) -> Image.Image:
    width, height = size
    background = (230, 120 + rng.randrange(60), 60) if spam else (70, 120 + rng.randrange(60), 220)
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    if spam:
        draw.rectangle([width // 6, height // 4, width - width // 6, height // 2], fill=(255, 240, 0))
    else:
        for y in range(4, height - 4, 6):
            draw.line([4, y, width - 4 - rng.randrange(width // 3), y], fill=(250, 250, 250), width=2)
    return image
