"""Locate the package's own templates and static files, installed or in a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """Return the folder ``templates`` or ``static``.

    A wheel carries them inside the package (``reportgen/templates``); an editable install or a
    plain checkout finds them at the repository root, where the design card keeps them.
    """
    for candidate in (_PACKAGE_DIR / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"reportgen's {name}/ folder is missing from the installation")
