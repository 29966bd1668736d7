"""Click options generated from :mod:`reportgen.options`, and the helpers every command shares.

Each option's default, choices, limit and help live in one dataclass field of
:mod:`reportgen.options`; :func:`options_from` turns a dataclass into Click options, so the CLI never
repeats a library constant. ``--config FILE`` (TOML) fills Click's ``default_map``: a CI job keeps
its settings in a file and the command line still wins.
"""

from __future__ import annotations

import shlex
import tomllib
import types
import typing
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any, Callable

import click

from reportgen import options as library_options
from reportgen.errors import ReportgenError
from reportgen.options import (
    DataOptions, ExplainOptions, LoadOptions, OutputOptions, SelectionOptions, SummaryOptions,
)


def _apply(decorators: list[Callable]) -> Callable:
    """Stack a list of Click decorators into one (first in the list = first in ``--help``)."""
    def decorator(function: Callable) -> Callable:
        for item in reversed(decorators):
            function = item(function)
        return function

    return decorator


def _parser(name: str) -> Callable:
    parse = getattr(library_options, name)

    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        try:
            return parse(value)
        except ReportgenError as error:  # bad input: one line naming the option, exit 1
            raise ReportgenError(f"{param.opts[0]}: {error.message}") from None

    return callback


def _base_type(annotation: Any) -> type:
    """``int | None`` → ``int`` (annotations are strings under ``from __future__ import annotations``)."""
    hint = eval(annotation, {"tuple": tuple}) if isinstance(annotation, str) else annotation  # noqa: S307 (our own)
    args = [a for a in typing.get_args(hint) if a is not type(None)] if isinstance(hint, types.UnionType) else [hint]
    base = typing.get_origin(args[0]) or args[0]
    return base if isinstance(base, type) else str


def options_from(cls: type, *, exclude: tuple[str, ...] = (), **overrides: dict[str, Any]) -> Callable:
    """A decorator adding one Click option per command-line field of dataclass ``cls``.

    Args:
        cls: an option dataclass of :mod:`reportgen.options`.
        exclude: fields to leave out.
        overrides: per-field keyword arguments for ``click.option`` (e.g. another ``type`` for a path).
    """
    decorators = []
    for f in fields(cls):
        meta = f.metadata
        if not meta.get("cli", True) or f.name in exclude:
            continue
        flag = meta.get("flag") or "--" + f.name.replace("_", "-")
        kwargs: dict[str, Any] = {"help": meta.get("help", "")}
        required = f.default is MISSING and f.default_factory is MISSING
        if required:
            kwargs["required"] = True
        else:
            kwargs["default"] = f.default
            kwargs["show_default"] = f.default is not None
        base = _base_type(f.type)
        declarations = [flag]
        if base is bool:
            if meta.get("secondary"):
                declarations = [f"{flag}/{meta['secondary']}"]
            else:
                kwargs["is_flag"] = True
                kwargs["show_default"] = False
        elif meta.get("parse"):
            kwargs["callback"] = _parser(meta["parse"])
            if meta["parse"] == "parse_head" and f.default is None:  # None means "mean over heads"
                kwargs["default"], kwargs["show_default"] = "mean", True
        elif meta.get("choices"):
            kwargs["type"] = click.Choice(meta["choices"])
        elif base is int:
            kwargs["type"] = click.IntRange(min=meta["minimum"]) if meta.get("minimum") is not None else int
        elif base is float:
            kwargs["type"] = float
        if meta.get("multiple"):  # a repeatable option: Click collects a tuple, the field's type
            kwargs["multiple"], kwargs["show_default"] = True, False
        if meta.get("metavar"):
            kwargs["metavar"] = meta["metavar"]
        kwargs.update(overrides.get(f.name, {}))
        decorators.append(click.option(*declarations, f.name, **kwargs))
    return _apply(decorators)


def _config_callback(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """``--config FILE``: TOML whose keys are option names (dashes or underscores) → ``default_map``."""
    if value is None:
        return
    path = Path(value)
    try:
        settings = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise click.BadParameter(f"{path}: {ReportgenError(str(error)).message}") from None
    # A [reportgen.COMMAND] or [COMMAND] table applies to that command; top-level keys to every command.
    section = settings.get("reportgen", settings)
    values = {k: v for k, v in section.items() if not isinstance(v, dict)}
    values.update(section.get(ctx.info_name or "", {}) if isinstance(section.get(ctx.info_name or ""), dict) else {})
    known = {p.name for p in ctx.command.params if p.name}
    # A key may also be an option's flag where the two differ (method = [...] for --method, stored as methods).
    flags = {opt.lstrip("-").replace("-", "_"): p.name for p in ctx.command.params if p.name
             for opt in getattr(p, "opts", ())}
    normalised = {flags.get(key.replace("-", "_"), key.replace("-", "_")): val for key, val in values.items()}
    unknown = sorted(k for k in normalised if k not in known)
    if unknown:
        raise click.BadParameter(f"{path}: unknown option {unknown[0]!r} for `reportgen {ctx.info_name}`")
    ctx.default_map = {**(ctx.default_map or {}), **normalised}


#: ``--config FILE``: settings from a TOML file; the command line wins.
config_option = click.option(
    "--config", type=click.Path(exists=True, dir_okay=False), is_eager=True, expose_value=False,
    callback=_config_callback,
    help="TOML file of option values (keys as the option names, e.g. batch-size = 32); the command line wins.",
)

#: --checkpoint, --model-config, --tokenizer, --image-processor, --max-length, --device, --batch-size.
model_options = options_from(
    LoadOptions,
    checkpoint={"type": click.Path(exists=True, dir_okay=True, readable=True)},
    model_config={"type": click.Path(exists=True, dir_okay=False)},
)
#: --data, --images, columns, --split, --rows, --skip-invalid, --seed.
data_options = options_from(DataOptions, data={"type": click.Path(dir_okay=False)},
                            images={"type": click.Path(file_okay=False)})
#: Selection, explanation and summary options of ``analyze`` and ``run``.
analysis_options = _apply([options_from(SelectionOptions), options_from(ExplainOptions), options_from(SummaryOptions)])


def output_options(out_help: str | None = None, *, file: bool = False) -> Callable:
    """--out, --deterministic, --progress/--no-progress, --redact-paths (``file``: --out is a file, not a
    folder, such as predict's CSV, which records no time and no path: only --out and --progress)."""
    out = {"type": click.Path(dir_okay=not file, file_okay=file, writable=True)}
    if out_help:
        out["help"] = out_help
    # A CSV of predictions holds no timestamp and no path: --deterministic and --redact-paths would do nothing.
    return options_from(OutputOptions, exclude=("deterministic", "redact_paths") if file else (), out=out)


#: ``--redact-paths`` alone, for commands with their own output options (render).
redact_paths_option = options_from(OutputOptions, exclude=("out", "deterministic", "progress"))


def format_option(default: str = "json,html,pdf", help: str | None = None) -> Callable:
    """``--format LIST``: a comma list of json, html, pdf."""
    return click.option(
        "--format", "formats", default=default, show_default=True, callback=format_list, metavar="LIST",
        help=help or "Comma list of outputs: json (results.json), html (report.html), pdf (report.pdf).",
    )


def load_inputs(**kwargs: Any) -> Any:
    """:func:`reportgen.inputs.load_inputs` from a command's keyword arguments; skipped rows on stderr."""
    from reportgen.cli import printable
    from reportgen.inputs import load_inputs as load

    data = DataOptions.from_kwargs({**kwargs, "require_labels": _given_explicitly("label_column")})
    inputs = load(LoadOptions.from_kwargs(kwargs), data)
    for item in inputs.dataset.skipped:  # --skip-invalid: say on stderr what is left out
        # Picture names come from the CSV: escape control characters before they reach a terminal.
        click.echo(printable(f"skipped row {item['row']} ({item['pic']}: {item['reason']})"), err=True)
    return inputs


def _given_explicitly(name: str) -> bool:
    """Whether the user typed option ``name`` (not just its default) in the running command."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return False
    source = ctx.get_parameter_source(name)
    return source is not None and source not in (click.core.ParameterSource.DEFAULT, click.core.ParameterSource.DEFAULT_MAP)


def format_list(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    """Click callback for ``--format``: a comma list of ``json``, ``html``, ``pdf`` (deduplicated)."""
    try:
        return library_options.parse_formats(value)
    except ReportgenError as error:
        raise click.BadParameter(error.message.removeprefix("--format: ")) from None


def command_line(ctx: click.Context) -> str:
    """The command as the user could retype it: the options they gave, in definition order.

    Built from the parsed parameters (not ``sys.argv``) so it is the same under any launcher.
    """
    from click.core import ParameterSource

    # Not ctx.command_path: under `python -m reportgen` that starts with the interpreter's name.
    words = ["reportgen", str(ctx.info_name)]
    for param in ctx.command.params:
        if not isinstance(param, click.Option) or param.name is None:
            continue
        source = ctx.get_parameter_source(param.name)
        if source in (None, ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP):
            continue
        value = ctx.params.get(param.name)
        if param.is_flag:
            if param.secondary_opts and not value:
                words.append(param.secondary_opts[0])
            elif value:
                words.append(param.opts[0])
            continue
        if value is None:
            continue
        if param.multiple:  # a repeatable option is retyped once per value
            words += [word for item in value for word in (param.opts[0], str(item))]
            continue
        if isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value)
        words += [param.opts[0], str(value)]
    return shlex.join(words)
