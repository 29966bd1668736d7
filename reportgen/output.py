"""Where reportgen writes, checked before any work, and what it may replace there.

Every command calls :func:`prepare_output_folder` (or :func:`prepare_output_file` for one file)
before any model work. That checks the location (an existing folder or one that can be created,
writable), refuses outputs that reportgen did not write, removes staging folders that killed runs
left behind, and creates this run's staging folder beside the output. Outputs are built in the
staging folder and moved in by :meth:`Output.publish` only when every step succeeded.

The rule that protects the user's files: each output folder holds ``.reportgen-manifest.json``,
the sha256 of every file reportgen wrote there. An output that already exists (``results.json``,
``report.html``, ``assets/`` …) is replaced only when the manifest lists every file of it with the
content it still has; anything else there is the user's, and the command refuses with one line.
Nothing outside the command's own output names is ever touched.

Temporary names are ``.NAME.reportgen-PID-XXXXXXXX.tmp`` (PID: the writing process). A later run
removes only entries of exactly this form whose process is gone and that are older than the run.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from reportgen.errors import ReportgenError

#: The list of files reportgen wrote in an output folder (relative POSIX path -> sha256).
MANIFEST_NAME = ".reportgen-manifest.json"
_MANIFEST_VERSION = 1
_TMP_MARK = ".reportgen-"


# ------------------------------------------------------------------------------- temporary names


def temporary_prefix(name: str) -> str:
    """Prefix of this process's temporary entries for ``name`` (``.NAME.reportgen-PID-``)."""
    return f".{name}{_TMP_MARK}{os.getpid()}-"


def _temporary_pattern(name: str) -> re.Pattern[str]:
    # tempfile's random part is 8 characters of [a-z0-9_].
    return re.compile(rf"\.{re.escape(name)}{re.escape(_TMP_MARK)}(\d+)-[a-z0-9_]{{8}}\.tmp")


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. PermissionError: it exists but belongs to someone else
        return True
    return True


def remove_stale_temporaries(folder: Path, name: str, *, older_than: float) -> list[Path]:
    """Remove temporary entries for ``name`` in ``folder`` that killed reportgen runs left behind.

    Only entries named exactly like reportgen's (``.NAME.reportgen-PID-XXXXXXXX.tmp``) whose process
    no longer runs and whose modification time is before ``older_than`` are removed; nothing else.

    Returns:
        The removed paths.
    """
    pattern = _temporary_pattern(name)
    removed = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match is None or _process_alive(int(match.group(1))):
            continue
        try:
            info = entry.lstat()
            if info.st_mtime >= older_than:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            elif entry.is_file() and not entry.is_symlink():
                entry.unlink()
            else:
                continue
        except OSError:
            continue  # best effort: a leftover we cannot remove is not this run's problem
        removed.append(entry)
    return removed


# --------------------------------------------------------------------------------- atomic files


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``, on failure it vanishes.

    A reader never sees half a file, and the result gets the user's usual permissions.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=temporary_prefix(path.name), suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        # mkstemp creates 0600 files; a report is meant to be shared, so honour the umask like open() does.
        os.chmod(tmp, 0o666 & ~_umask())
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


# ------------------------------------------------------------------------------------- manifest


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_manifest(folder: Path) -> dict[str, set[str]]:
    """relative path -> accepted sha256 values; empty when there is no (readable) manifest."""
    try:
        data = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return {}
    if not isinstance(data, dict):
        return {}
    owned: dict[str, set[str]] = {}
    # "pending" holds the hashes of a publish in progress: a run killed while moving files in
    # leaves each file with either its old or its new content, and both stay reportgen's.
    for key in ("files", "pending"):
        table = data.get(key)
        if isinstance(table, dict):
            for rel, sha in table.items():
                if isinstance(rel, str) and isinstance(sha, str):
                    owned.setdefault(rel, set()).add(sha)
    return owned


def _write_manifest(folder: Path, files: dict[str, str], pending: dict[str, str] | None = None) -> None:
    from reportgen.version import __version__

    data: dict[str, Any] = {"manifest_version": _MANIFEST_VERSION, "written_by": f"reportgen {__version__}",
                            "files": dict(sorted(files.items()))}
    if pending:
        data["pending"] = dict(sorted(pending.items()))
    write_text_atomic(folder / MANIFEST_NAME, json.dumps(data, indent=1) + "\n")


def _files_under(path: Path) -> Iterator[Path]:
    """Every entry under a folder, symlinks and special files included (never followed)."""
    for root, dirs, files in os.walk(path):
        for name in sorted(dirs):
            entry = Path(root) / name
            if entry.is_symlink():
                yield entry
        for name in sorted(files):
            yield Path(root) / name


def _foreign_entry(folder: Path, name: str, owned: dict[str, set[str]]) -> Path | None:
    """The first entry of output ``name`` in ``folder`` that reportgen did not write (or that changed)."""
    target = folder / name
    if not os.path.lexists(target):
        return None
    if target.is_symlink() or not (target.is_file() or target.is_dir()):
        return target
    for entry in [target] if target.is_file() else _files_under(target):
        if entry.is_symlink() or not entry.is_file():
            return entry
        rel = entry.relative_to(folder).as_posix()
        if rel not in owned or sha256_file(entry) not in owned[rel]:
            return entry
    return None


def check_replaceable(folder: Path, names: Iterable[str]) -> None:
    """Refuse when an output ``name`` exists in ``folder`` but reportgen did not write it (or it changed).

    Raises:
        ReportgenError: naming the first such file.
    """
    owned = _read_manifest(Path(folder))
    for name in names:
        foreign = _foreign_entry(Path(folder), name, owned)
        if foreign is not None:
            raise ReportgenError(
                f"{foreign} exists and was not written by reportgen (or was changed since): reportgen never "
                "overwrites or deletes such files; move it away or choose another --out"
            )


# ------------------------------------------------------------------------------------ locations


def _location_error(path: Path, reason: str) -> ReportgenError:
    return ReportgenError(f"--out {path}: {reason}")


def _reason(error: OSError) -> str:
    return error.strerror or type(error).__name__


def _check_location(folder: Path, shown: Path) -> list[Path]:
    """``folder`` is a folder or can become one; create what is missing up to it (returned, deepest last)."""
    missing = []
    for candidate in [folder, *folder.parents]:
        if os.path.exists(candidate):
            if not candidate.is_dir():
                raise _location_error(shown, f"{candidate} is a file, not a folder")
            break
        if os.path.lexists(candidate):
            raise _location_error(shown, f"{candidate} is a broken symbolic link")
        missing.append(candidate)
    created = []
    for candidate in reversed(missing):
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        except OSError as error:
            _remove_empty(created)
            raise _location_error(shown, f"cannot create {candidate} ({_reason(error)})") from None
        created.append(candidate)
    return created


def _remove_empty(folders: list[Path]) -> None:
    for folder in reversed(folders):
        with contextlib.suppress(OSError):
            folder.rmdir()


def _probe_writable(folder: Path, shown: Path) -> None:
    """Create and remove a temporary file in ``folder``: the only check that also holds for root."""
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=temporary_prefix(MANIFEST_NAME), suffix=".tmp")
    except OSError as error:
        raise _location_error(shown, f"cannot write in {folder} ({_reason(error)})") from None
    os.close(fd)
    os.unlink(probe)


class Output:
    """An output location that passed the checks, with this run's staging folder.

    Use as a context manager: leaving the block removes the staging folder (and any folder the
    check created that stayed empty); :meth:`publish` moves the staged outputs in first.

    Attributes:
        folder: where the outputs go (``--out`` for a report, the CSV's folder for ``predict``).
        staging: this run's private folder beside the output; write every output here.
        started: when the run began (``time.time()``), for the stale-staging rule.
    """

    def __init__(self, folder: Path, staging: Path, created: list[Path], started: float) -> None:
        self.folder = folder
        self.staging = staging
        self.started = started
        self._created = created

    def __enter__(self) -> Output:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.discard()

    def discard(self) -> None:
        """Remove the staging folder and the folders the check created that are still empty."""
        shutil.rmtree(self.staging, ignore_errors=True)
        _remove_empty(self._created)

    def publish(self) -> list[Path]:
        """Move every staged entry into :attr:`folder`, replacing only reportgen's own unchanged files.

        Interrupts (SIGINT, SIGTERM) are held back while files are moved, so the folder never holds
        a mix of two runs; they take effect right after.

        Returns:
            The published top-level paths, sorted.

        Raises:
            ReportgenError: an output appeared or changed since the check (named).
        """
        entries = sorted(self.staging.iterdir())
        names = {entry.name for entry in entries}
        staged = {path.relative_to(self.staging).as_posix(): path
                  for entry in entries for path in ([entry] if entry.is_file() else _files_under(entry))}
        umask = _umask()
        with _signals_held():
            self.folder.mkdir(parents=True, exist_ok=True)
            check_replaceable(self.folder, names)
            new = {rel: sha256_file(path) for rel, path in staged.items()}
            current = _owned_now(self.folder)
            # Recorded before anything moves: whatever happens next, every file stays reportgen's.
            _write_manifest(self.folder, current, pending=new)
            for entry in entries:
                target = self.folder / entry.name
                if entry.is_dir() and target.is_dir():
                    # Only reportgen's own files are there (checked above): drop those this run does not rewrite.
                    for old in list(_files_under(target)):
                        if old.relative_to(self.folder).as_posix() not in new:
                            old.unlink()
            for rel, path in staged.items():
                destination = self.folder / rel
                destination.parent.mkdir(parents=True, exist_ok=True)
                path.chmod(0o666 & ~umask)
                os.replace(path, destination)
            for entry in entries:
                if entry.is_dir():
                    _remove_empty_below(self.folder / entry.name)
            kept = {rel: sha for rel, sha in current.items() if rel.split("/", 1)[0] not in names}
            _write_manifest(self.folder, {**kept, **new})
        return [self.folder / entry.name for entry in entries]

    def adopt(self, name: str) -> None:
        """Record the files this run wrote in place under ``folder/name`` as reportgen's.

        For outputs that must live at their final place while the run works (the demo corpus,
        whose path is recorded in results.json); the check before the run made sure that only
        reportgen's own files were there.
        """
        with _signals_held():
            current = _owned_now(self.folder)
            target = self.folder / name
            if not target.is_dir() and not target.is_file():
                return
            files = [target] if target.is_file() else _files_under(target)
            written = {path.relative_to(self.folder).as_posix(): sha256_file(path)
                       for path in files if path.is_file() and not path.is_symlink()}
            kept = {rel: sha for rel, sha in current.items() if rel.split("/", 1)[0] != name}
            _write_manifest(self.folder, {**kept, **written})


def _owned_now(folder: Path) -> dict[str, str]:
    """The manifest's files that are still there with a content reportgen wrote (path -> sha256)."""
    owned = {}
    for rel, shas in _read_manifest(folder).items():
        path = folder / rel
        if ".." in Path(rel).parts or Path(rel).is_absolute() or path.is_symlink() or not path.is_file():
            continue
        sha = sha256_file(path)
        if sha in shas:
            owned[rel] = sha
    return owned


def _remove_empty_below(folder: Path) -> None:
    """Remove empty sub-folders left after old files were dropped (never ``folder`` itself)."""
    for root, dirs, _files in os.walk(folder, topdown=False):
        for name in dirs:
            with contextlib.suppress(OSError):
                (Path(root) / name).rmdir()


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold back SIGINT and SIGTERM (delivered on exit) where the platform allows it."""
    mask = getattr(signal, "pthread_sigmask", None)
    if mask is None:
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    previous = mask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        mask(signal.SIG_SETMASK, previous)


def _prepare(folder: Path, staging_parent: Path, staging_name: str, names: tuple[str, ...],
             shown: Path) -> Output:
    started = time.time()
    if os.path.lexists(folder) and not folder.is_dir():
        raise _location_error(shown, f"{folder} is a file, not a folder")
    created = _check_location(staging_parent, shown)
    try:
        if folder.is_dir() and folder != staging_parent:
            _probe_writable(folder, shown)
        remove_stale_temporaries(staging_parent, staging_name, older_than=started)
        if folder.is_dir():
            remove_stale_temporaries(folder, MANIFEST_NAME, older_than=started)
            check_replaceable(folder, names)
        try:
            staging = Path(tempfile.mkdtemp(prefix=temporary_prefix(staging_name), suffix=".tmp",
                                            dir=staging_parent))
        except OSError as error:
            raise _location_error(shown, f"cannot write in {staging_parent} ({_reason(error)})") from None
    except BaseException:
        _remove_empty(created)
        raise
    return Output(folder, staging, created, started)


def prepare_output_folder(out: Path, names: Iterable[str]) -> Output:
    """Check an output folder before any work and create this run's staging folder beside it.

    Args:
        out: the output folder (``--out``); it and missing parents are created when needed.
        names: the entries this run may write in it (``results.json``, ``report.html``, ``assets`` …).

    Returns:
        The :class:`Output`; use it as a context manager and call :meth:`Output.publish` at the end.

    Raises:
        ReportgenError: one line: the location is under a file, not writable, or an output there was
            not written by reportgen.
    """
    out = Path(os.path.abspath(out))
    return _prepare(out, out.parent, out.name, tuple(names), out)


def prepare_output_file(path: Path) -> Output:
    """:func:`prepare_output_folder` for a single output file (staged beside it, in its folder).

    Raises:
        ReportgenError: one line: the path is a folder, its folder cannot be created or written, or
            a file that reportgen did not write is there.
    """
    path = Path(os.path.abspath(path))
    if path.is_dir():
        raise _location_error(path, "is a folder; expected a file name")
    return _prepare(path.parent, path.parent, path.name, (path.name,), path)
