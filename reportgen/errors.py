"""User-facing errors.

Every problem a user can fix (bad file, missing key, bad row, missing column …) is raised as a
:class:`ReportgenError`. The library never imports Click: the CLI (:mod:`reportgen.cli`) turns
these errors into one line on stderr and exit code 1; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


def first_line(error: BaseException) -> str:
    """The first line of an exception's message (its type name when empty), for one-line errors."""
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


class ReportgenError(Exception):
    """A problem with the user's input, reported as one line and exit code 1.

    Attributes:
        message: the one-line message (whitespace, newlines included, collapsed to single spaces).
        exit_code: the process exit code the CLI uses for it.
    """

    exit_code = 1

    def __init__(self, message: str) -> None:
        # One line: the CLI contract is "one clear line naming the problem".
        self.message = " ".join(str(message).split())
        super().__init__(self.message)


class CheckpointError(ReportgenError):
    """The checkpoint cannot be read or does not match the MMTD layout."""


class DataError(ReportgenError):
    """The dataset (CSV, pictures, selection) is unusable."""


class ResultsError(ReportgenError):
    """A results.json file is missing, malformed or of an unknown schema version."""
