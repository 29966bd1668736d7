"""The explanation methods, found by name: each method is one module that declares a :class:`Method`.

A module in :mod:`reportgen.explain` that defines ``METHOD = Method(...)`` is a method. The
pipeline calls :func:`explain_sample`, which runs every registered method in dependency order on
one sample and merges what they return into that sample's results.json entry. Adding a method
means: its module here (with ``METHOD``), its block in the report, its test, and its keys in the
results schema — nothing else changes.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reportgen.options import ExplainOptions

if TYPE_CHECKING:
    import torch

    from reportgen.mmtd.model import MMTD
    from reportgen.mmtd.preprocessing import Preprocessor


@dataclass
class SampleContext:
    """One sample as every method sees it.

    Attributes:
        model: the MMTD (eval mode).
        encoded: the sample as ``Preprocessor.encode`` made it (batch of one).
        special_ids: ``{"cls", "sep", "pad"}`` token ids of the tokenizer.
        options: the explanation knobs.
        results: what the methods that ran before produced (their ``produces`` keys).
        shared: intermediate values one method leaves for another (e.g. the encoders' hidden
            states of ``[input, baseline]`` from the attention pass, reused by the Shapley split).
        text: the e-mail text ``encoded`` was made from (``None`` when the caller only has the
            tensors; methods that re-tokenise an edited text then skip the text).
        preprocessor: what made ``encoded``; its tokenizer re-tokenises edited texts exactly as
            the model's inputs were made (``None``: as for ``text``).
    """

    model: MMTD
    encoded: Mapping[str, torch.Tensor]
    special_ids: Mapping[str, int]
    options: ExplainOptions = field(default_factory=ExplainOptions)
    results: dict[str, Any] = field(default_factory=dict)
    shared: dict[str, Any] = field(default_factory=dict)
    text: str | None = None
    preprocessor: Preprocessor | None = None


@dataclass(frozen=True)
class Method:
    """An explanation method.

    Attributes:
        name: short identifier (``--methods`` and logs).
        title: display name.
        produces: the per-sample results.json keys its ``explain`` returns.
        explain: ``explain(context) -> {key: plain-JSON value}`` for one sample.
        after: methods whose results (or shared values) it reads; they run first.
        default: whether it runs when no method list is given; expensive ones are opt-in
            (``default=False``: they run when ``ExplainOptions.methods`` names them, ``--method NAME``).
        switch: name of a boolean :class:`ExplainOptions` field that turns the method off when
            false (``faithfulness`` → ``--no-faithfulness``); ``None``: always on when wanted.
        describe: ``describe(options) -> plain-JSON`` parameters of the method for results.json
            ``methods[name]`` (what the methods appendix prints); ``None``: nothing to state.
    """

    name: str
    title: str
    produces: tuple[str, ...]
    explain: Callable[[SampleContext], dict[str, Any]]
    after: tuple[str, ...] = ()
    default: bool = True
    switch: str | None = None
    describe: Callable[[ExplainOptions], dict[str, Any]] | None = None

    def enabled(self, options: ExplainOptions) -> bool:
        """Whether ``options`` leave this method on (see ``switch``)."""
        return self.switch is None or bool(getattr(options, self.switch))

    def selected(self, options: ExplainOptions) -> bool:
        """Whether it runs when no method list is given: on by default, or asked for by name, and not switched off."""
        return (self.default or self.name in options.methods) and self.enabled(options)


def methods() -> dict[str, Method]:
    """Every registered method by name, in an order where each runs after the ones it reads."""
    import reportgen.explain as package

    found: dict[str, Method] = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        method = getattr(module, "METHOD", None)
        if isinstance(method, Method):
            found[method.name] = method
    ordered: dict[str, Method] = {}

    def visit(name: str, trail: tuple[str, ...] = ()) -> None:
        if name in ordered:
            return
        if name in trail or name not in found:
            raise RuntimeError(f"method {trail[-1] if trail else name!r} needs {name!r}, which is "
                               f"{'circular' if name in trail else 'not registered'}")
        for dependency in found[name].after:
            visit(dependency, (*trail, name))
        ordered[name] = found[name]

    for name in found:
        visit(name)
    return ordered


def explain_sample(model: MMTD, encoded: Mapping[str, torch.Tensor], special_ids: Mapping[str, int],
                   options: ExplainOptions | None = None, names: tuple[str, ...] | None = None, *,
                   text: str | None = None, preprocessor: Preprocessor | None = None) -> dict[str, Any]:
    """Run the registered methods on one sample.

    Args:
        model: the MMTD (its attention implementation is restored afterwards).
        encoded: one sample from ``Preprocessor.encode``.
        special_ids: ``{"cls", "sep", "pad"}`` token ids.
        options: see :class:`reportgen.options.ExplainOptions`.
        names: the methods to run (their dependencies run too); default: every default method
            that ``options`` leave switched on, and those ``options.methods`` names.
        text: the sample's e-mail text (see :class:`SampleContext`).
        preprocessor: the preprocessor that made ``encoded`` (see :class:`SampleContext`).

    Returns:
        The per-sample keys of ``results.schema.json`` the methods produce, as plain Python data.
    """
    registered = methods()
    options = options or ExplainOptions()
    wanted = set(names) if names is not None else {n for n, m in registered.items() if m.selected(options)}
    unknown = wanted - set(registered)
    if unknown:
        from reportgen.errors import ReportgenError

        raise ReportgenError(f"unknown explanation {'method' if len(unknown) == 1 else 'methods'} "
                             f"{', '.join(sorted(unknown))}; known: "
                             f"{', '.join(registered)}")
    needed: set[str] = set()

    def need(name: str) -> None:
        if name not in needed:
            needed.add(name)
            for dependency in registered[name].after:
                need(dependency)

    for name in wanted:
        need(name)
    context = SampleContext(model=model, encoded=encoded, special_ids=special_ids, options=options, text=text,
                            preprocessor=preprocessor)
    for name, method in registered.items():
        if name not in needed:
            continue
        produced = method.explain(context)
        missing = set(method.produces) - set(produced)
        if missing:  # a method that breaks its own declaration is a bug, not a user error
            raise RuntimeError(f"method {name!r} did not produce {', '.join(sorted(missing))}")
        context.results.update(produced)
    return context.results


def method_parameters(options: ExplainOptions) -> dict[str, Any]:
    """The results.json ``methods`` entries of the methods that run and state their parameters."""
    return {name: method.describe(options) for name, method in methods().items()
            if method.describe is not None and method.selected(options)}
