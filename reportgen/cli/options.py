"""Options shared by ``predict``, ``analyze`` and ``run``, defined once, and the loading they drive.

``@model_options`` and ``@data_options`` add the options; the command passes all its keyword
arguments to :func:`load_inputs`, which checks the data first (cheap, and a typo in a column name
should not cost a model load) and then loads checkpoint, tokenizer and picture processor.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

import click

from reportgen.errors import ReportgenError

if TYPE_CHECKING:  # heavy imports (torch) stay out of `--help`
    from reportgen.checkpoint import LoadedModel
    from reportgen.data import EDPDataset
    from reportgen.preprocessing import Preprocessor

#: Defaults shared with the library (kept literal here so `--help` does not import torch).
DEFAULT_TOKENIZER = "bert-base-multilingual-cased"
DEFAULT_MAX_LENGTH = 256
DEFAULT_BATCH_SIZE = 16


def _apply(options: list[Callable]) -> Callable:
    def decorator(function: Callable) -> Callable:
        for option in reversed(options):
            function = option(function)
        return function

    return decorator


def _parse_rows(ctx: click.Context, param: click.Parameter, value: str | None) -> list[int] | None:
    from reportgen.data import parse_rows

    return parse_rows(value)


#: Decorator adding the model options: --checkpoint, --model-config, --tokenizer, --image-processor,
#: --max-length, --device, --batch-size.
model_options = _apply(
    [
        click.option(
            "--checkpoint", required=True, type=click.Path(exists=True, dir_okay=True, readable=True),
            help="MMTD checkpoint: a Trainer folder checkpoint-N/ or its pytorch_model.bin / model.safetensors.",
        ),
        click.option(
            "--model-config", type=click.Path(exists=True, dir_okay=False),
            help="JSON with settings the weights cannot tell (attention heads); default: hidden/64 heads, 8 in fusion.",
        ),
        click.option(
            "--tokenizer", default=DEFAULT_TOKENIZER, show_default=True,
            help="Tokenizer folder, or hub id already in the local Hugging Face cache (never downloaded).",
        ),
        click.option(
            "--image-processor", default=None,
            help="Image-processor folder or cached hub id; default: DiT's (PIL bicubic to the model's "
            "image size, mean = std = 0.5), as in training.",
        ),
        click.option(
            "--max-length", type=click.IntRange(min=2), default=DEFAULT_MAX_LENGTH, show_default=True,
            help="Tokens per e-mail text after truncation and padding (training used 256).",
        ),
        click.option(
            "--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True,
            help="Where the model runs; auto = cuda when available, else cpu.",
        ),
        click.option(
            "--batch-size", type=click.IntRange(min=1), default=DEFAULT_BATCH_SIZE, show_default=True,
            help="E-mails per forward pass.",
        ),
    ]
)

#: Decorator adding the data options: --data, --images, --text-column, --pic-column, --label-column,
#: --split, --rows, --skip-invalid, --seed.
data_options = _apply(
    [
        click.option(
            "--data", required=True, type=click.Path(dir_okay=False),
            help="EDP CSV with one e-mail per row (text, picture file name, label).",
        ),
        click.option(
            "--images", required=True, type=click.Path(file_okay=False),
            help="Folder the picture column's file names are relative to.",
        ),
        click.option("--text-column", default="texts", show_default=True, help="CSV column with the e-mail text."),
        click.option("--pic-column", default="pics", show_default=True, help="CSV column with the picture file name."),
        click.option(
            "--label-column", default="labels", show_default=True,
            help="CSV column with 0 (ham) / 1 (spam). If the default column is absent the data is treated as "
            "unlabelled and metrics are skipped; a column named explicitly must exist.",
        ),
        click.option(
            "--split", default=None, metavar="fold:K/N",
            help="Use only the test rows of fold K (1-based) of N: sklearn StratifiedKFold(N, shuffle=True, "
            "random_state=--seed) over all CSV rows (plain KFold when unlabelled). Not with --rows.",
        ),
        click.option(
            "--rows", default=None, metavar="3,17,...", callback=_parse_rows,
            help="Use only these 0-based CSV data rows (header not counted). Not with --split.",
        ),
        click.option(
            "--skip-invalid", is_flag=True, default=False,
            help="Skip rows whose picture is missing or unreadable (they are listed in the output) "
            "instead of stopping.",
        ),
        click.option("--seed", type=int, default=0, show_default=True, help="Random state of --split."),
    ]
)


@dataclass
class Inputs:
    """Everything a command needs: the loaded model, the preprocessor, the data and the device.

    Attributes:
        loaded: the model (eval, on ``device``) and its checkpoint info.
        preprocessor: tokenizer + picture processor.
        dataset: the selected EDP rows.
        device: ``"cpu"`` or ``"cuda"``.
        batch_size: e-mails per forward pass (``--batch-size``).
    """

    loaded: LoadedModel
    preprocessor: Preprocessor
    dataset: EDPDataset
    device: str
    batch_size: int = DEFAULT_BATCH_SIZE


def resolve_device(name: str) -> str:
    """``"auto"`` → ``"cuda"`` when available else ``"cpu"``; ``"cuda"`` without a GPU is an error."""
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise ReportgenError("--device cuda: no CUDA device is available (use --device cpu or auto)")
    if name not in ("cpu", "cuda"):
        raise ReportgenError(f"--device {name!r}: expected auto, cpu or cuda")
    return name


def load_inputs(
    *,
    checkpoint: str,
    data: str,
    images: str,
    model_config: str | None = None,
    tokenizer: str = DEFAULT_TOKENIZER,
    image_processor: str | None = None,
    max_length: int = DEFAULT_MAX_LENGTH,
    device: str = "auto",
    batch_size: int = DEFAULT_BATCH_SIZE,
    text_column: str = "texts",
    pic_column: str = "pics",
    label_column: str = "labels",
    split: str | None = None,
    rows: list[int] | None = None,
    skip_invalid: bool = False,
    seed: int = 0,
    **_other_options: Any,
) -> Inputs:
    """Load data, model and preprocessing from the values of ``model_options`` + ``data_options``.

    Other keyword arguments (a command's own options) are accepted and ignored, so a command can
    pass ``**kwargs`` through. Cheap checks come first: data, device, tokenizer; then the checkpoint
    and the picture processor. The tokenizer and processor must fit the checkpoint (vocabulary,
    positions, picture size).

    Raises:
        ReportgenError: (or a subclass) one line naming what to fix.
    """
    from pathlib import Path

    from reportgen.checkpoint import load_mmtd
    from reportgen.data import load_edp
    from reportgen.preprocessing import Preprocessor, load_image_processor, load_tokenizer

    dataset = load_edp(
        data, images, text_column=text_column, pic_column=pic_column, label_column=label_column,
        split=split, rows=rows, skip_invalid=skip_invalid, seed=seed,
        require_labels=_given_explicitly("label_column"),
    )
    resolved = resolve_device(device)
    # The tokenizer before the checkpoint: a wrong --tokenizer should not cost a 1 GB load.
    text_tokenizer = load_tokenizer(tokenizer)
    loaded = load_mmtd(checkpoint, Path(model_config) if model_config else None, device=resolved)
    config = loaded.info.config
    preprocessor = Preprocessor(
        tokenizer=text_tokenizer,
        image_processor=load_image_processor(image_processor, int(config.image.image_size)),
        max_length=max_length,
    )
    _check_fit(preprocessor, config, tokenizer)
    for item in dataset.skipped:  # --skip-invalid: say on stderr what is left out
        click.echo(f"skipped row {item['row']} ({item['pic']}: {item['reason']})", err=True)
    return Inputs(loaded=loaded, preprocessor=preprocessor, dataset=dataset, device=resolved, batch_size=batch_size)


def _check_fit(preprocessor: Preprocessor, config: Any, tokenizer_name: str) -> None:
    """A tokenizer larger than the embedding table or texts longer than its positions would crash later."""
    vocab = len(preprocessor.tokenizer)
    if vocab > config.text.vocab_size:
        raise ReportgenError(
            f"tokenizer {tokenizer_name!r} has {vocab} tokens but the checkpoint's text encoder only "
            f"{config.text.vocab_size}; pass the tokenizer the model was trained with (--tokenizer)"
        )
    if preprocessor.max_length > config.text.max_position_embeddings:
        raise ReportgenError(
            f"--max-length {preprocessor.max_length} exceeds the checkpoint's "
            f"{config.text.max_position_embeddings} text positions"
        )
    expected = (int(config.image.image_size), int(config.image.image_size))
    made = preprocessor.image_size
    if made != expected:
        what = "pictures whose size depends on the input" if made is None else f"{made[0]}x{made[1]} pictures"
        raise ReportgenError(
            f"the image processor makes {what} but the checkpoint expects {expected[0]}x{expected[1]}; "
            "pass another --image-processor or leave it out for the DiT default"
        )


def _given_explicitly(name: str) -> bool:
    """Whether the user typed option ``name`` (not just its default) in the running command."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return False
    source = ctx.get_parameter_source(name)
    return source is not None and source not in (click.core.ParameterSource.DEFAULT, click.core.ParameterSource.DEFAULT_MAP)


def format_list(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    """Click callback for ``--format``: a comma list of ``json``, ``html``, ``pdf`` (deduplicated)."""
    from reportgen.report.render import parse_formats

    try:
        return parse_formats(value)
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
        if isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value)
        words += [param.opts[0], str(value)]
    return shlex.join(words)
