"""Write a tiny EDP folder (``EDP.csv`` + ``pics/*.png``) for tests.

Usage::

    from tests.edp import write_edp
    csv_path, images_dir = write_edp(tmp_path, n=6)
    # csv_path = tmp_path/"EDP.csv" with columns texts, pics, labels
    # images_dir = tmp_path/"pics"; pics holds names relative to it ("0.png", ...)

Pictures are drawn with PIL (spam: warm background with a big bar; ham: cool background with text
lines), so a model sees different inputs per row. Texts use words from ``tests.factories.VOCAB``.
:func:`write_png_header` writes a tiny PNG whose header claims any size (a decompression bomb's
signature without its gigabytes).
"""

from __future__ import annotations

import random
import struct
import zlib
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
    truncated: Sequence[int] = (),
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
        truncated: rows whose picture is a JPEG (``<row>.jpg``) cut off after 60 % of its bytes: the
            header reads fine, the data do not.
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
        name = f"{row}.jpg" if modes[row] == "CMYK" or row in truncated else f"{row}.png"
        pics.append(name)
        path = images_dir / name
        if row in missing:
            continue
        if row in corrupt:
            path.write_bytes(b"this is not a png\x00\x01")
            continue
        if row in truncated:
            _draw(labels[row] == 1, size, rng).save(path, format="JPEG", quality=90)
            data = path.read_bytes()
            path.write_bytes(data[: len(data) * 6 // 10])
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


def write_png_header(path: Path, width: int, height: int) -> Path:
    """Write a valid 1x1 PNG, then make its header claim ``width`` x ``height`` (CRC fixed up).

    PIL reads the size from the header when it opens the file, as it would for a real picture of
    that size, so this stands in for a decompression bomb (e.g. 30000x30000 in 108 KB) in bytes.
    """
    import io

    buffer = io.BytesIO()
    Image.new("L", (1, 1)).save(buffer, format="PNG")
    data = bytearray(buffer.getvalue())
    ihdr = data.index(b"IHDR")  # length (4) | b"IHDR" | width (4) | height (4) | 5 more bytes | CRC (4)
    data[ihdr + 4 : ihdr + 12] = struct.pack(">II", width, height)
    data[ihdr + 17 : ihdr + 21] = struct.pack(">I", zlib.crc32(bytes(data[ihdr : ihdr + 17])))
    path = Path(path)
    path.write_bytes(bytes(data))
    return path
