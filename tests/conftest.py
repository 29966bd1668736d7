"""Settings for the whole test session: how many pytest-xdist workers, and their threads.

pyproject's addopts run the suite with ``-n auto --dist loadfile``: each test file runs whole on one
worker, so a module's fixtures (tiny models, rendered reports) are built once, as without xdist.
``-n 0`` runs everything in this process (for ``--pdb`` or to read one test's output in order).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

#: Most workers ``-n auto`` starts: each holds torch, matplotlib and WeasyPrint (~1 GB at its peak).
MAX_WORKERS = 8


#: Test files that build the same costly object once per process: every file that imports
#: tests/planted.py (which trains the planted-signal model). ``--dist loadfile`` sends each group to a
#: single worker, which then builds it once.
SAME_WORKER = {
    f"tests/{path.name}": "planted-signal model"
    for path in Path(__file__).parent.glob("test_*.py") if "from tests.planted import" in path.read_text("utf-8")
}


@pytest.hookimpl(optionalhook=True)  # xdist's hooks: no error where it is not installed
def pytest_xdist_make_scheduler(config: Any, log: Any) -> Any:
    """``--dist loadfile`` with the files of :data:`SAME_WORKER` kept together (other modes: xdist's own)."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class LoadFileKeepingGroups(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            scope = super()._split_scope(nodeid)
            return SAME_WORKER.get(scope, scope)

    return LoadFileKeepingGroups(config, log)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: Any) -> int:
    """``-n auto``: one worker per CPU this process may use, as joblib counts them, at most :data:`MAX_WORKERS`.

    joblib honours CPU affinity and container CPU quotas; xdist's own count ignores the quotas (and,
    where psutil is installed, the affinity too), which would start a worker per CPU of the host.
    """
    from joblib import cpu_count

    return max(1, min(cpu_count(), MAX_WORKERS))


if os.environ.get("PYTEST_XDIST_WORKER"):
    # Share the CPUs between the workers: torch (OpenMP) would start one thread per CPU in every
    # worker, and more threads than cores make each one wait for the others. Set before any test
    # module imports torch; inherited by the CLI subprocesses tests start.
    from joblib import cpu_count

    _threads = max(1, cpu_count() // int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
    os.environ.setdefault("OMP_NUM_THREADS", str(_threads))
