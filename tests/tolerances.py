"""Tolerances for float32 results that two code paths compute in a different order.

float32 carries 24 significant bits: one rounding changes a value by up to 2**-24 (6e-8) of its
size. A forward pass sums hundreds of products per layer, and the order of those sums depends on the
batch shape (BLAS blocking) and on the CPU (SIMD width, FMA), so one log-odds computed along two
paths differs by tens of roundings: 2.9e-6 was observed on a value near 3 (1e-6 of its size) on a
2-core AMD EPYC. An absolute 1e-6 is below what float32 can promise for values of that size; the
tolerance has to scale with the values compared.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

#: Relative tolerance for float32 results: 10x the largest difference observed between batch shapes
#: and CPUs (1e-6 relative), and still thousands of times smaller than the errors a bug makes.
FLOAT32_REL = 1e-5


def float32_approx(expected: float | Sequence[float], *, scale: float | None = None):
    """``pytest.approx`` for float32 results: within :data:`FLOAT32_REL` of each value or of ``scale``.

    Args:
        expected: a number or a sequence of numbers.
        scale: the size of the quantity the values are parts of (e.g. the log-odds that attributions
            decompose). A part of a float32 sum carries rounding errors of the size of the whole sum,
            not of its own: a token score near 0 is only as exact as the log-odds it is part of.
            Default: the largest ``|expected|``.
    """
    values = list(expected) if isinstance(expected, Sequence) else [expected]
    size = max(abs(v) for v in values) if scale is None else abs(scale)
    return pytest.approx(expected, rel=FLOAT32_REL, abs=FLOAT32_REL * size)
