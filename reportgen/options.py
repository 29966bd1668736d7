"""Every option of reportgen, defined once: defaults, choices, limits and help text.

Plain dataclasses with no heavy imports (no torch), so both the library and the CLI read them:
the library takes the dataclasses; :mod:`reportgen.cli.options` turns each field into a Click
option from its metadata (flag name, help, choices, minimum), so a default or a choice is never
written twice. Validation that needs no model happens here, in ``__post_init__``, so a bad value
fails before any model work, from the CLI and from Python alike.
"""

from __future__ import annotations

from dataclasses import MISSING, asdict, dataclass, field, fields
from collections.abc import Sequence
from typing import Any

from reportgen.errors import ReportgenError

#: Captum's integration rules for Integrated Gradients (its names).
IG_METHODS = ("gausslegendre", "riemann_trapezoid", "riemann_middle", "riemann_left", "riemann_right")
#: Pictures that stand for "no picture" in Integrated Gradients, Shapley and occlusion.
IMAGE_BASELINES = ("white", "black", "blur")
#: The tokenizer MMTD was trained with (a hub id resolved from the local cache only).
DEFAULT_TOKENIZER = "bert-base-multilingual-cased"
#: Tokens per e-mail text in training (truncated and padded).
DEFAULT_MAX_LENGTH = 256
#: Activation memory the automatic IG ``internal_batch_size`` may use (bytes). With the ~1.1 GB of
#: full-size weights and the interpreter this keeps one sample's IG well under 6 GB of RSS.
DEFAULT_MEMORY_BUDGET = 3 * 1024**3
#: Output formats of ``run``/``render``/``demo`` and their file names.
FORMATS = ("json", "html", "pdf")
#: ``--missing-text``: what the model reads for an e-mail with no text (see reportgen.mmtd.edp).
MISSING_TEXT = ("null", "empty")
#: Default and highest ``--max-pixels``: PIL's own ``Image.MAX_IMAGE_PIXELS`` (89,478,485 = 1 GiB / 4 / 3,
#: about 270 MB decoded as RGB). PIL opens smaller pictures silently and warns above it (refusing at
#: twice the size), so reportgen refuses exactly the pictures PIL considers possible decompression
#: bombs, with one line instead of a warning or a traceback. E-mail pictures are far smaller (EDP's
#: are screenshots of a few megapixels). Higher values are not allowed: PIL itself would interfere.
DEFAULT_MAX_PIXELS = 89_478_485
#: Explanation methods that are off by default (too costly to run unasked), with what they cost; ``--method
#: NAME`` turns one on. The registry is the authority on every method: a test checks that this list equals
#: its methods declared ``default=False``. It is written out here so that ``--help`` can list the names
#: without importing the methods (and torch).
OPTIONAL_METHODS = {
    "gradient_shap": "GradientSHAP (Captum), a second opinion on Integrated Gradients with its agreement; "
                     "costs --gshap-samples forward and backward passes per explained e-mail, about as much as "
                     "Integrated Gradients itself",
}


def option(default: Any = MISSING, help: str = "", *, flag: str | None = None, choices: tuple[str, ...] | None = None,
           minimum: int | None = None, metavar: str | None = None, cli: bool = True, secondary: str | None = None,
           parse: str | None = None, multiple: bool = False, default_factory: Any = MISSING) -> Any:
    """A dataclass field that also describes its command-line option.

    Args:
        default: the default (the only place it is written).
        help: the ``--help`` text.
        flag: the option's name (default ``--`` + the field name with dashes).
        choices: allowed values (a Click ``Choice``).
        minimum: smallest allowed integer (a Click ``IntRange``).
        metavar: how ``--help`` shows the value.
        cli: ``False`` for library-only fields (no command-line option).
        secondary: for booleans, the negative flag (``--no-progress``); without it a plain flag.
        parse: name of a :mod:`reportgen.options` function that turns the typed string into the
            field's value (raising :class:`ReportgenError` with a one-line message).
        multiple: the option may be given several times; the field holds a tuple of the values.
        default_factory: as :func:`dataclasses.field`.
    """
    metadata = {"help": help, "flag": flag, "choices": choices, "minimum": minimum, "metavar": metavar,
                "cli": cli, "secondary": secondary, "parse": parse, "multiple": multiple}
    if default_factory is not MISSING:
        return field(default_factory=default_factory, metadata=metadata)
    return field(default=default, metadata=metadata)


def parse_rows(value: str | Sequence[int | str] | None) -> tuple[int, ...] | None:
    """``"3,17"`` or ``[3, 17]`` → ``(3, 17)``: 0-based CSV data rows, order kept, duplicates dropped.

    The one row parser of reportgen (``--rows``, ``--explain-rows``, the option dataclasses and
    :func:`reportgen.mmtd.edp.load_edp`). ``None`` or an empty text means no selection (None).

    Raises:
        ReportgenError: an entry is not a non-negative whole number (names it).
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    parts = value.split(",") if isinstance(value, str) else list(value)
    rows = []
    for part in parts:
        text = str(part).strip()
        if isinstance(part, bool) or not (text.isascii() and text.isdigit()):
            raise ReportgenError(f"{text!r} is not a row number (0-based CSV data rows, e.g. 3,17)")
        rows.append(int(text))
    return tuple(dict.fromkeys(rows))


def parse_head(text: str | int | None) -> int | None:
    """``"mean"`` (or None) → ``None``; a head number → that number (0-based)."""
    if text is None or text == "mean":
        return None
    try:
        head = int(text)
    except (TypeError, ValueError):
        raise ReportgenError(f"{text!r}: expected a head number (0-based) or 'mean'") from None
    if head < 0 or isinstance(text, bool):
        raise ReportgenError(f"{text!r}: head numbers start at 0")
    return head


def parse_samples(text: str | None) -> str | None:
    """``" 3 : 2"`` → ``"3:2"`` (N_SPAM:N_HAM, both ≥ 0)."""
    if text is None:
        return None
    parts = str(text).split(":")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise ReportgenError(f"{text!r}: expected N_SPAM:N_HAM, e.g. 3:3")
    n_spam, n_ham = (int(p) for p in parts)
    return f"{n_spam}:{n_ham}"


def parse_formats(text: str | tuple[str, ...] | list[str], *, allow_empty: bool = False) -> tuple[str, ...]:
    """``"json,html"`` → ``("json", "html")`` (deduplicated, order kept)."""
    items = [p.strip().lower() for p in (text.split(",") if isinstance(text, str) else text) if p.strip()]
    unknown = [p for p in items if p not in FORMATS]
    if unknown or not (items or allow_empty):
        problem = (f"unknown {'format' if len(unknown) == 1 else 'formats'} {', '.join(unknown)}" if unknown
                   else "no format given")
        raise ReportgenError(f"--format: {problem}; choose from {', '.join(FORMATS)}")
    return tuple(dict.fromkeys(items))


def _rows_option(name: str, value: Any) -> tuple[int, ...] | None:
    """:func:`parse_rows` for an option field, naming the option in the error."""
    try:
        return parse_rows(value)
    except ReportgenError as error:
        raise ReportgenError(f"--{name.replace('_', '-')}: {error.message}") from None


class _Options:
    """Shared helpers of the option dataclasses."""

    @classmethod
    def from_kwargs(cls, kwargs: dict[str, Any]) -> Any:
        """Build from a dict holding (at least) this class's fields; other keys are ignored."""
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in kwargs.items() if k in names})

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON (tuples become lists)."""
        def plain(value: Any) -> Any:
            if isinstance(value, (list, tuple)):
                return [plain(v) for v in value]
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            return value

        return plain(asdict(self))  # type: ignore[call-overload]


@dataclass(frozen=True)
class LoadOptions(_Options):
    """Where the model and its preprocessing come from."""

    checkpoint: str = option(help="MMTD checkpoint: a Trainer folder checkpoint-N/ or its pytorch_model.bin / "
                             "model.safetensors.")
    model_config: str | None = option(None, "JSON with settings the weights cannot tell (attention heads); "
                                      "default: hidden/64 heads, 8 in fusion.")
    tokenizer: str = option(DEFAULT_TOKENIZER, "Tokenizer folder, or hub id already in the local Hugging Face "
                            "cache (never downloaded).", metavar="DIR|HUB_ID")
    image_processor: str | None = option(None, "Image-processor folder or cached hub id; default: the published "
                                         "DiT processor MMTD was trained with (PIL bilinear to the checkpoint's "
                                         "picture size, no crop, /255, mean = std = 0.5; pictures converted to "
                                         "RGB).", metavar="DIR|HUB_ID")
    max_length: int | None = option(None, "Tokens per e-mail text ([CLS] and [SEP] included) after truncation "
                                    "and padding. Default: inferred as min(256 = MMTD's training length, the "
                                    "checkpoint's text positions, the tokenizer's model_max_length); results.json "
                                    "and the report record the value and whether it was given or inferred.",
                                    minimum=2)
    device: str = option("auto", "Where the model runs; auto = cuda when available, else cpu.",
                         choices=("auto", "cpu", "cuda"))
    batch_size: int = option(16, "E-mails per forward pass.", minimum=1)


@dataclass(frozen=True)
class DataOptions(_Options):
    """Which CSV, pictures and rows."""

    data: str = option(help="EDP CSV with one e-mail per row (text, picture file name, label).")
    images: str = option(help="Folder the picture column's file names are relative to.")
    text_column: str = option("texts", "CSV column with the e-mail text.")
    pic_column: str = option("pics", "CSV column with the picture file name.")
    label_column: str = option("labels", "CSV column with 0 (ham) / 1 (spam). If the default column is absent "
                               "the data is treated as unlabelled and metrics are skipped; a column named "
                               "explicitly must exist.")
    split: str | None = option(None, "fold:K (K = 1..5, also fold:K/5): the test rows of MMTD's own training "
                               "fold K, cut as the authors' SplitData did: CSV rows in file order, no shuffle, "
                               "q = N // 5; fold 1 = rows 4q..N-1 (with the N % 5 leftover rows), fold 2 = "
                               "3q..4q-1, ..., fold 5 = 0..q-1. Use it for a checkpoint of that fold: it never "
                               "saw these rows. stratified:K/N: fold K of scikit-learn StratifiedKFold(N, "
                               "shuffle=True, random_state=--seed) (KFold when unlabelled); NOT MMTD's training "
                               "folds. Not with --rows.", metavar="fold:K|stratified:K/N")
    rows: tuple[int, ...] | None = option(None, "Use only these 0-based CSV data rows (header not counted). "
                                          "Not with --split.", metavar="3,17,...", parse="parse_rows")
    skip_invalid: bool = option(False, "Skip rows whose picture is missing, unreadable (decoded to check) or "
                                "larger than --max-pixels (they are listed in the output) instead of stopping.")
    seed: int = option(0, "Random state of --split stratified:K/N and of the --samples draw.")
    missing_text: str = option("null", "What the model reads for an e-mail with no text in the CSV: null = the "
                               "string 'null', as MMTD's training did (fillna('null')); empty = an empty text, "
                               "for models trained that way. Such e-mails are marked in the outputs.",
                               choices=MISSING_TEXT)
    max_pixels: int = option(DEFAULT_MAX_PIXELS, "Refuse pictures with more pixels (width x height), read from "
                             "the header before decoding (decompression bombs); --skip-invalid skips them. "
                             "Default and maximum: PIL's own limit.", minimum=1)
    allow_outside_images: bool = option(False, "Accept picture names that resolve outside --images (absolute "
                                        "paths, '..', symlinks pointing out); refused by default, naming the "
                                        "row.")
    require_labels: bool = option(False, cli=False)

    def __post_init__(self) -> None:
        # From Python, rows may come as "3,17" or a list: the same parser as --rows (frozen: set directly).
        object.__setattr__(self, "rows", _rows_option("rows", self.rows))


@dataclass(frozen=True)
class ExplainOptions(_Options):
    """Knobs of the per-sample explanation methods.

    ``ig_steps``: quadrature points of Integrated Gradients (one forward+backward each). 16
    Gauss-Legendre nodes cost 32 % of 50 Riemann steps. Measured completeness gaps: on the
    full-size random-weight model GL-2…16 stay under 4 % (16: 0.6 %) while Captum's
    ``riemann_trapezoid`` needs 32 steps (8: 11 %, 16: 6.9 %, 32: 3.0 %, 50: 2.4 %). Captum's
    trapezoid weights sum to ``1 - 1/n``, which alone leaves a ``1/n`` gap. ``image_baseline``
    ``blur`` keeps the page layout and colours but removes legible text (Gaussian of
    ``blur_sigma`` model-input pixels). ``pixel_mean``/``pixel_std`` are the image processor's
    normalisation, which the white/black baselines go through.
    """

    ig_steps: int = option(16, "Integrated Gradients integration steps to start with (Gauss-Legendre nodes by "
                           "default); doubled up to --ig-max-steps until IG converges within 5 %.", minimum=2)
    ig_max_steps: int = option(256, "Cap of the adaptive Integrated Gradients steps: they start at --ig-steps and "
                               "double while the completeness gap exceeds 5 % (and 0.01 log-odds); an e-mail "
                               "still above it at the cap is flagged. Set it to --ig-steps to integrate once.",
                               minimum=2)
    ig_method: str = option("gausslegendre", "Integrated Gradients integration rule (Captum's names).",
                            choices=IG_METHODS)
    image_baseline: str = option("white", "Picture that stands for 'no picture' in Integrated Gradients and "
                                 "Shapley: a blank white page (e-mails are dark text on white), black, or a "
                                 "blurred copy of the picture.", choices=IMAGE_BASELINES)
    internal_batch_size: int | None = option(None, "Integrated Gradients steps per forward pass (default: chosen "
                                             "to bound memory).", minimum=1)
    attention_layer: int = option(-1, "Encoder layer whose full attention matrix is stored (0-based; -1 = last).")
    attention_head: int | None = option(None, "Head of the stored attention matrix (0-based), or 'mean' over "
                                        "heads.", metavar="N|mean", parse="parse_head")
    faithfulness: bool = option(True, "Check every explained sample's attributions: occlusion as a second "
                                "opinion, and deletion/insertion of the words and picture patches they rank "
                                "highest against random ones. Costs about 5 times the sample's Integrated "
                                "Gradients on CPU (one encoder pass per word and per patch).",
                                secondary="--no-faithfulness")
    sanity_samples: int = option(2, "Explained samples re-explained on a copy of the model whose weights are "
                                 "randomised step by step from the top down to the embeddings (model-randomisation "
                                 "sanity check; 0 = off). Costs up to 8 Integrated Gradients runs of 8 steps per "
                                 "sample.", minimum=0, metavar="N")
    methods: tuple[str, ...] = option((), "Also run an explanation method that is off by default (repeat the option "
                                      "for several): " + "; ".join(f"{name}: {what}" for name, what in
                                                                   OPTIONAL_METHODS.items()) + ".",
                                      flag="--method", choices=tuple(OPTIONAL_METHODS), multiple=True,
                                      metavar="NAME")
    gshap_samples: int = option(32, "GradientSHAP samples per explained e-mail (with --method gradient_shap): each "
                                "one forward and backward pass; more make its scores steadier.", minimum=1)
    gshap_noise: float = option(0.1, "GradientSHAP's baselines (with --method gradient_shap): the Integrated "
                                "Gradients baseline with Gaussian noise where the e-mail differs from it, this "
                                "many times the root-mean-square difference (0 = the baseline itself).",
                                metavar="FRACTION")
    blur_sigma: float = option(4.0, cli=False)
    pixel_mean: tuple[float, float, float] = option((0.5, 0.5, 0.5), cli=False)
    pixel_std: tuple[float, float, float] = option((0.5, 0.5, 0.5), cli=False)
    memory_budget: int = option(DEFAULT_MEMORY_BUDGET, cli=False)
    record_path: bool = option(True, cli=False)

    def __post_init__(self) -> None:
        # From Python, one name may come as a string: the same check as --method's choices.
        names = (self.methods,) if isinstance(self.methods, str) else tuple(self.methods)
        unknown = [name for name in names if name not in OPTIONAL_METHODS]
        if unknown:
            raise ReportgenError(f"method {unknown[0]!r} is not one that is off by default; choose from "
                                 f"{', '.join(OPTIONAL_METHODS)} (the others run unless switched off)")
        object.__setattr__(self, "methods", tuple(dict.fromkeys(names)))
        if int(self.gshap_samples) < 1:
            raise ReportgenError(f"--gshap-samples {self.gshap_samples}: must be at least 1")
        if not self.gshap_noise >= 0:
            raise ReportgenError(f"--gshap-noise {self.gshap_noise}: must be 0 or more")
        if self.ig_method not in IG_METHODS:
            raise ReportgenError(f"--ig-method {self.ig_method!r}: expected one of {', '.join(IG_METHODS)}")
        if self.image_baseline not in IMAGE_BASELINES:
            raise ReportgenError(
                f"--image-baseline {self.image_baseline!r}: expected one of {', '.join(IMAGE_BASELINES)}"
            )
        if int(self.ig_steps) < 2:
            raise ReportgenError(f"--ig-steps {self.ig_steps}: need at least 2 path points")
        if self.internal_batch_size is not None and int(self.internal_batch_size) < 1:
            raise ReportgenError(f"--internal-batch-size {self.internal_batch_size}: must be at least 1")
        if int(self.sanity_samples) < 0:
            raise ReportgenError(f"--sanity-samples {self.sanity_samples}: must be 0 (off) or more")
        if self.blur_sigma <= 0:
            raise ReportgenError(f"blur sigma {self.blur_sigma}: must be positive")


@dataclass(frozen=True)
class SelectionOptions(_Options):
    """Which predicted e-mails get a detailed explanation."""

    samples: str | None = option(None, "Explain N_SPAM random spam and N_HAM random ham e-mails (by true label; "
                                 "by prediction when unlabelled), drawn with --seed. Default 3:3 when no other "
                                 "selection option is given; with --rows alone every selected row is explained.",
                                 metavar="N_SPAM:N_HAM", parse="parse_samples")
    explain_rows: tuple[int, ...] | None = option(None, "Explain these 0-based CSV data rows (they must be among "
                                                  "the rows selected by --rows/--split).", metavar="3,17,...",
                                                  parse="parse_rows")

    def __post_init__(self) -> None:
        object.__setattr__(self, "explain_rows", _rows_option("explain_rows", self.explain_rows))
    misclassified: int = option(0, "Also explain N misclassified e-mails, most confidently wrong first (needs "
                                "labels).", minimum=0, metavar="N")
    least_confident: int = option(0, "Also explain the N e-mails whose spam probability is closest to 0.5.",
                                  minimum=0, metavar="N")
    most_confident: int = option(0, "Also explain the N e-mails whose spam probability is farthest from 0.5.",
                                 minimum=0, metavar="N")


@dataclass(frozen=True)
class SummaryOptions(_Options):
    """How explained samples are summarised."""

    top_k: int = option(10, "Words per explained e-mail (largest |score|) that count toward the top-word lists.",
                        minimum=1)
    min_count: int = option(2, "A top word must be among the --top-k words of at least this many explained "
                            "e-mails.", minimum=1)


@dataclass(frozen=True)
class OutputOptions(_Options):
    """Where and how outputs are written (shared by every command that writes a report)."""

    out: str = option(help="Output folder (created). Files appear only when every step succeeded.")
    deterministic: bool = option(False, "Reproducible output: byte-identical on rerun (no timestamp unless "
                                 "SOURCE_DATE_EPOCH is set, no timings).")
    progress: bool = option(True, "Show progress bars on stderr.", secondary="--no-progress")
    redact_paths: bool = option(False, "Leave local paths out of every output: results.json, the recorded command "
                                "and the report's reproducibility appendix name files and folders by their last "
                                "part only (the checkpoint's sha256 still identifies it). Without it, full paths "
                                "appear only in the appendix and in results.json; the rest of the report always "
                                "shows file names.")


@dataclass(frozen=True)
class AnalysisOptions(_Options):
    """Everything ``analyze`` needs beyond the loaded inputs: selection, explanation, summary."""

    selection: SelectionOptions = field(default_factory=SelectionOptions)
    explain: ExplainOptions = field(default_factory=ExplainOptions)
    summary: SummaryOptions = field(default_factory=SummaryOptions)
    seed: int = 0
    deterministic: bool = False

    @classmethod
    def from_kwargs(cls, kwargs: dict[str, Any]) -> AnalysisOptions:
        """Build from flat keyword arguments (the CLI's), each routed to its group."""
        return cls(
            selection=SelectionOptions.from_kwargs(kwargs),
            explain=ExplainOptions.from_kwargs(kwargs),
            summary=SummaryOptions.from_kwargs(kwargs),
            seed=int(kwargs.get("seed", 0)),
            deterministic=bool(kwargs.get("deterministic", False)),
        )

    def to_dict(self) -> dict[str, Any]:
        """Flat plain JSON of the user-facing options (results.json ``generator.options``)."""
        flat: dict[str, Any] = {}
        for group in (self.selection, self.explain, self.summary):
            for f in fields(group):
                if f.metadata.get("cli", True):
                    flat[f.name] = group.to_dict()[f.name]
        flat["seed"] = self.seed
        flat["deterministic"] = self.deterministic
        return flat
