"""``--redact-paths``: local paths cut to their last part in results.json and everything made from it.

Without the option a report shows only file names and the checkpoint's sha256 before its
reproducibility appendix, and the full paths there and in results.json (a reader reproducing the
run needs them). A report or results.json shared outside the machine (a CI artefact, a paper's
supplement) should not say where files lay on it: with the option every path reportgen recorded is
cut to its last part (``/home/ana/models/fold1/model.safetensors`` → ``model.safetensors``), in
results.json too, since that file is what a CI job uploads. The sha256 still identifies the
checkpoint. Picture names are the CSV's own data and are kept, unless they are absolute paths.
"""

from __future__ import annotations

import copy
import shlex
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

#: Options of the recorded command whose value is a local path (file or folder). A test checks that
#: every Click path option of `analyze` and `run` is listed.
PATH_OPTIONS = ("--checkpoint", "--model-config", "--tokenizer", "--image-processor", "--data", "--images",
                "--out", "--config")


def last_part(path: str) -> str:
    """The file or folder name at the end of ``path`` (POSIX or Windows separators), or ``path`` itself."""
    text = str(path).rstrip("/\\")
    name = PureWindowsPath(PurePosixPath(text).name).name
    return name or str(path)


def _is_absolute(path: str) -> bool:
    return PurePosixPath(path).is_absolute() or PureWindowsPath(path).is_absolute() or str(path).startswith("~")


def redact_command(command: str) -> str:
    """``command`` with the value of every :data:`PATH_OPTIONS` option (and any absolute path) cut to its name."""
    try:
        words = shlex.split(command)
    except ValueError:  # not a command reportgen wrote: nothing can be kept safely but the program's name
        return command.split(" ", 1)[0]
    redacted = []
    follows_path_option = False
    for word in words:
        flag, equals, value = word.partition("=")
        if follows_path_option or _is_absolute(word):
            word = last_part(word)
        elif equals and flag in PATH_OPTIONS:
            word = f"{flag}={last_part(value)}"
        redacted.append(word)
        follows_path_option = word in PATH_OPTIONS
    return shlex.join(redacted)


def redact_paths(results: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``results`` whose local paths are cut to their last part; ``generator.paths_redacted`` is set.

    Cut: ``model.path``, ``model.tokenizer`` when it is a folder (not a hub id),
    ``dataset.csv``, ``dataset.images``, the path options of ``generator.command``, picture
    names that are absolute paths (``samples[].pic``, ``dataset.skipped[].pic``), and those paths
    where skip reasons and warnings quote them. Redacting twice gives the same result.
    """
    redacted = copy.deepcopy(results)
    model, dataset, generator = redacted["model"], redacted["dataset"], redacted["generator"]
    # Messages may quote a recorded path (an OS error naming a picture under the pictures folder).
    known = sorted({str(v) for v in (model.get("path"), dataset.get("csv"), dataset.get("images"),
                                     model.get("tokenizer")) if v and _is_absolute(str(v))}, key=len, reverse=True)
    for item in dataset.get("skipped", []):
        item["reason"] = _replace_paths(item["reason"], known)
    aggregate = redacted.get("aggregate") or {}
    if aggregate.get("warnings"):
        aggregate["warnings"] = [_replace_paths(w, known) for w in aggregate["warnings"]]
    model["path"] = last_part(model["path"])
    if model.get("tokenizer") and _looks_like_path(model["tokenizer"]):
        model["tokenizer"] = last_part(model["tokenizer"])
    for key in ("csv", "images"):
        if dataset.get(key):
            dataset[key] = last_part(dataset[key])
    for item in [*redacted.get("samples", []), *dataset.get("skipped", [])]:
        if item.get("pic") and _is_absolute(item["pic"]):
            item["pic"] = last_part(item["pic"])
    generator["command"] = redact_command(generator["command"])
    generator["paths_redacted"] = True
    return redacted


def _replace_paths(text: str, paths: list[str]) -> str:
    for path in paths:  # longest first, so a folder does not cut a longer path that starts with it
        text = text.replace(path, last_part(path))
    return text


def _looks_like_path(value: str) -> bool:
    """A tokenizer named by a folder rather than a hub id (``name`` or ``org/name``)."""
    parts = [p for p in str(value).replace("\\", "/").split("/") if p]
    return _is_absolute(value) or str(value).startswith(".") or len(parts) > 2
