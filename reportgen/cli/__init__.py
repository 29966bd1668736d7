"""reportgen's command line.

Each command lives in its own module under ``reportgen.cli`` and is imported only when it runs, so
``reportgen --help`` is instant (torch and WeasyPrint are heavy). Command bodies stay thin: they
parse options and call library functions.

Errors are printed here, once, as one line on stderr with control characters escaped (a picture
name can hold terminal escape sequences). Exit codes: 0 success, 1 a problem with the input or the
output location (:class:`reportgen.errors.ReportgenError`), 2 a usage error (unknown option, bad
option value), 130 interrupted (SIGINT), 143 terminated (SIGTERM). Anything else is a bug and keeps
its traceback.
"""

from __future__ import annotations

import importlib
import importlib.util
import signal
import sys
import threading
import unicodedata
from typing import Any, NoReturn

import click

from reportgen.version import __version__
from reportgen.errors import ReportgenError

#: Exit codes (documented in the README's "Security" section).
EXIT_INPUT = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
EXIT_TERMINATED = 143  # 128 + SIGTERM

# command name -> "module:attribute"
_COMMANDS = {
    "inspect": "reportgen.cli.inspect_cmd:inspect_command",
    "predict": "reportgen.cli.predict_cmd:predict_command",
    "analyze": "reportgen.cli.analyze_cmd:analyze_command",
    "run": "reportgen.cli.analyze_cmd:run_command",
    "render": "reportgen.cli.render_cmd:render_command",
    "demo": "reportgen.cli.demo_cmd:demo_command",
}

_SHORT_HELP = {
    "inspect": "Show a checkpoint's inferred architecture, size, sha256 and key diagnostics.",
    "predict": "Predict ham/spam for every selected row and write a CSV.",
    "analyze": "Predict, then explain selected samples; writes results.json.",
    "run": "Analyze, then render the report: results.json, report.html, report.pdf.",
    "render": "Render report.html / report.pdf from an existing results.json (no model needed).",
    "demo": "Generate demo e-mails and write a full report on them with the demo model shipped in reportgen.",
}


#: Invisible characters that reorder text in a terminal (bidirectional overrides and isolates).
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def printable(text: str) -> str:
    """``text`` with control characters escaped (``\\x1b``, ``\\u202e``), safe to print in a terminal.

    Input file names and e-mail text reach messages; an escape sequence in them could retitle the
    terminal, hide text or fake a link. Newlines and tabs are escaped too: a message is one line.
    """
    out = []
    for char in str(text):
        if unicodedata.category(char) == "Cc" or char in _BIDI_CONTROLS:
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


def error_line(message: str) -> str:
    """The one line the CLI prints for an error: ``Error: ...``, whitespace collapsed, escaped."""
    return "Error: " + printable(" ".join(str(message).split()))


class TerminatedBySignal(BaseException):
    """SIGTERM arrived. A BaseException, like KeyboardInterrupt, so that every ``finally`` (staging
    folders, temporary files) runs on the way out and no ``except Exception`` swallows it."""


def _on_sigterm(signum: int, frame: Any) -> None:
    # A second SIGTERM must not interrupt the clean-up that the first one started.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise TerminatedBySignal()


def _fail(message: str, code: int) -> NoReturn:
    click.echo(error_line(message), err=True)
    sys.exit(code)


class _LazyGroup(click.Group):
    """A group whose commands are imported on first use, with reportgen's one-line error printing."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        in_main_thread = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, _on_sigterm) if in_main_thread else None
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.NoArgsIsHelpError as error:  # bare `reportgen`: the help text is the answer
            error.show()
            sys.exit(error.exit_code)
        except click.UsageError as error:
            hint = f" (see '{error.ctx.command_path} --help')" if error.ctx is not None else ""
            _fail(error.format_message() + hint, EXIT_USAGE)
        except click.ClickException as error:
            _fail(error.format_message(), error.exit_code)
        except ReportgenError as error:  # the library's plain exceptions, from a command or an option callback
            _fail(error.message, error.exit_code)
        except click.Abort:  # Click's form of KeyboardInterrupt (SIGINT)
            _fail("interrupted; unfinished output was removed", EXIT_INTERRUPTED)
        except TerminatedBySignal:
            _fail("terminated (SIGTERM); unfinished output was removed", EXIT_TERMINATED)
        finally:
            if in_main_thread:
                signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
        sys.exit(code if isinstance(code, int) else 0)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in _COMMANDS if self._available(name)]

    @staticmethod
    def _available(name: str) -> bool:
        module_name = _COMMANDS[name].split(":")[0]
        return importlib.util.find_spec(module_name) is not None

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in _COMMANDS or not self._available(name):
            return None
        module_name, attribute = _COMMANDS[name].split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        command.short_help = _SHORT_HELP[name]
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Listing help must not import torch: use the static short help.
        rows = [(name, _SHORT_HELP[name]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="reportgen")
def main() -> None:
    """Explainability reports (HTML, PDF, results.json) for multimodal text+image classifiers.

    First target: MMTD, the multilingual e-mail spam detector that fuses a BERT text encoder with a
    DiT/BEiT encoder of a picture of the e-mail. Start with `reportgen demo --out DIR`: it generates
    a small multilingual corpus and explains it with a small MMTD shipped inside reportgen (nothing
    is trained or downloaded). For your own model: `reportgen run --checkpoint ... --data ...
    --images ... --out DIR`.
    """
