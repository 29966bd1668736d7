"""reportgen.output: output locations checked first, staging, and never replacing what reportgen did not write."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from reportgen.errors import ReportgenError
from reportgen.output import MANIFEST_NAME, prepare_output_file, prepare_output_folder, remove_stale_temporaries

REPORT_NAMES = ("results.json", "report.html", "assets")


def _publish(out: Path, files: dict[str, str], names=REPORT_NAMES) -> list[Path]:
    """One run of a command: check ``out``, stage ``files`` (relative path -> text), publish."""
    with prepare_output_folder(out, names) as output:
        for rel, text in files.items():
            (output.staging / rel).parent.mkdir(parents=True, exist_ok=True)
            (output.staging / rel).write_text(text, encoding="utf-8")
        return output.publish()


def _staging_left(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if ".reportgen-" in p.name and p.name.endswith(".tmp"))


def _sys_refuses_new_entries() -> bool:
    try:
        probe = tempfile.mkdtemp(dir="/sys")
    except OSError:
        return True
    os.rmdir(probe)
    return False


def test_a_second_run_replaces_its_own_files_and_nothing_else(tmp_path):
    out = tmp_path / "out"
    _publish(out, {"results.json": "1", "report.html": "<p>1</p>", "assets/roc.svg": "a", "assets/old.csv": "b"})
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    written = _publish(out, {"results.json": "2", "assets/roc.svg": "c"})
    assert written == [out / "assets", out / "results.json"]
    assert (out / "results.json").read_text() == "2" and (out / "assets" / "roc.svg").read_text() == "c"
    # old.csv was reportgen's and this run's assets/ no longer has it; report.html was not rewritten.
    assert not (out / "assets" / "old.csv").exists() and (out / "report.html").read_text() == "<p>1</p>"
    assert (out / "notes.txt").read_text() == "mine"
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    assert sorted(manifest["files"]) == ["assets/roc.svg", "report.html", "results.json"]
    assert "pending" not in manifest
    assert _staging_left(tmp_path) == [] and _staging_left(out) == []


def test_user_files_in_assets_are_refused_before_any_work_and_survive(tmp_path):
    # Regression: publishing ran shutil.rmtree(OUT/assets), deleting e.g. --images OUT/assets/pics.
    out = tmp_path / "out"
    picture = out / "assets" / "pics" / "0.png"
    picture.parent.mkdir(parents=True)
    picture.write_bytes(b"\x89PNG user picture")
    with pytest.raises(ReportgenError, match=r"assets/pics/0.png exists and was not written by reportgen"):
        prepare_output_folder(out, REPORT_NAMES)
    assert picture.read_bytes() == b"\x89PNG user picture"
    assert _staging_left(tmp_path) == [] and sorted(p.name for p in out.iterdir()) == ["assets"]
    # Outputs this run does not write are not its business: a json-only run goes ahead.
    _publish(out, {"results.json": "1"}, names=("results.json",))
    assert picture.read_bytes() == b"\x89PNG user picture"


def test_a_user_file_added_to_reportgens_assets_is_refused(tmp_path):
    out = tmp_path / "out"
    _publish(out, {"assets/roc.svg": "a"})
    (out / "assets" / "figure-for-my-paper.svg").write_text("edited", encoding="utf-8")
    with pytest.raises(ReportgenError, match="figure-for-my-paper.svg exists and was not written by reportgen"):
        prepare_output_folder(out, REPORT_NAMES)
    assert (out / "assets" / "roc.svg").read_text() == "a"


@pytest.mark.parametrize("how", ["edited", "no manifest", "symlink"])
def test_a_changed_or_unknown_report_is_refused(tmp_path, how):
    out = tmp_path / "out"
    _publish(out, {"report.html": "<p>reportgen</p>"})
    if how == "edited":
        (out / "report.html").write_text("<p>my notes</p>", encoding="utf-8")
    elif how == "no manifest":
        (out / MANIFEST_NAME).unlink()
    else:
        elsewhere = tmp_path / "mine.html"
        elsewhere.write_text("<p>reportgen</p>", encoding="utf-8")  # same bytes, but not reportgen's file
        (out / "report.html").unlink()
        (out / "report.html").symlink_to(elsewhere)
    before = (out / "report.html").read_bytes()
    with pytest.raises(ReportgenError, match="report.html exists and was not written by reportgen"):
        prepare_output_folder(out, REPORT_NAMES)
    assert (out / "report.html").read_bytes() == before


def test_a_file_appearing_during_the_run_is_not_overwritten(tmp_path):
    out = tmp_path / "out"
    with prepare_output_folder(out, REPORT_NAMES) as output:
        (output.staging / "report.html").write_text("new", encoding="utf-8")
        out.mkdir()
        (out / "report.html").write_text("made meanwhile", encoding="utf-8")
        with pytest.raises(ReportgenError, match="report.html exists and was not written by reportgen"):
            output.publish()
    assert (out / "report.html").read_text() == "made meanwhile"
    assert _staging_left(tmp_path) == []


def test_predictions_file_replaces_only_its_own_csv(tmp_path):
    csv = tmp_path / "preds" / "p.csv"
    for text in ("a,b\n1,2\n", "a,b\n3,4\n"):
        with prepare_output_file(csv) as output:
            (output.staging / "p.csv").write_text(text, encoding="utf-8")
            output.publish()
        assert csv.read_text() == text
    data = tmp_path / "EDP.csv"
    data.write_text("texts,pics,labels\n", encoding="utf-8")
    with pytest.raises(ReportgenError, match="EDP.csv exists and was not written by reportgen"):
        prepare_output_file(data)  # `predict --out EDP.csv` would have replaced the dataset
    assert data.read_text() == "texts,pics,labels\n"


@pytest.mark.parametrize("where", ["under a file", "deeper under a file"])
def test_out_under_a_regular_file_is_one_line(tmp_path, where):
    blocker = tmp_path / "report.txt"
    blocker.write_text("x", encoding="utf-8")
    out = blocker / "out" if where == "under a file" else blocker / "a" / "b"
    with pytest.raises(ReportgenError, match=f"--out {out}: {blocker} is a file, not a folder"):
        prepare_output_folder(out, REPORT_NAMES)
    with pytest.raises(ReportgenError, match=f"{blocker} is a file, not a folder"):
        prepare_output_file(out / "p.csv")
    assert blocker.read_text() == "x"


@pytest.mark.skipif(not _sys_refuses_new_entries(), reason="needs Linux /sys, where not even root may create entries")
def test_out_where_nothing_may_be_created_is_one_line():
    # /sys refuses new entries to every user (EPERM), so this holds when the tests run as root too.
    with pytest.raises(ReportgenError, match=r"--out /sys/reportgen-out: cannot write in /sys \("):
        prepare_output_folder(Path("/sys/reportgen-out"), REPORT_NAMES)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere; see the /sys test")
def test_parent_without_write_permission_is_one_line(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        with pytest.raises(ReportgenError, match=r"cannot write in .*locked \(Permission denied\)"):
            prepare_output_folder(locked / "out", REPORT_NAMES)
        existing = tmp_path / "existing"
        existing.mkdir()
        existing.chmod(0o555)
        with pytest.raises(ReportgenError, match=r"cannot write in .*existing \(Permission denied\)"):
            prepare_output_folder(existing, REPORT_NAMES)
    finally:
        locked.chmod(0o755)
        (tmp_path / "existing").chmod(0o755)


def test_failed_run_removes_the_folders_the_check_created(tmp_path):
    out = tmp_path / "new" / "deeper" / "out"
    with pytest.raises(RuntimeError):
        with prepare_output_folder(out, REPORT_NAMES):
            raise RuntimeError("analysis failed")
    assert list(tmp_path.iterdir()) == []


def _dead_pid() -> int:
    process = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                             text=True, check=True)
    return int(process.stdout)


def test_only_reportgens_own_stale_staging_is_removed(tmp_path):
    dead, alive = _dead_pid(), os.getppid()
    stale = [tmp_path / f".out.reportgen-{dead}-abcd_123.tmp", tmp_path / f".out.reportgen-{dead}-zzzzzzzz.tmp"]
    stale[0].mkdir()
    (stale[0] / "results.json").write_text("half", encoding="utf-8")
    stale[1].write_text("half a file", encoding="utf-8")
    kept = [
        tmp_path / f".out.reportgen-{alive}-abcdefgh.tmp",  # a run still in progress
        tmp_path / f".other.reportgen-{dead}-abcdefgh.tmp",  # another output's
        tmp_path / ".out.abcdefgh.tmp",  # not reportgen's naming
        tmp_path / f".out.reportgen-{dead}-abcdefgh.tmp.bak",
        tmp_path / f"out.reportgen-{dead}-abcdefgh.tmp",
    ]
    for path in kept:
        path.mkdir()
    newer = tmp_path / f".out.reportgen-{dead}-newer___.tmp"  # younger than the run: not touched
    newer.mkdir()
    started = time.time() - 60
    old = started - 3600
    for path in [*stale, *kept]:
        os.utime(path, (old, old))
    assert sorted(remove_stale_temporaries(tmp_path, "out", older_than=started)) == sorted(stale)
    assert all(path.exists() for path in [*kept, newer])


@pytest.mark.slow  # two demo runs
def test_demo_runs_twice_into_the_same_out_and_keeps_the_users_files(tmp_path):
    # The demo writes its corpus in place (results.json records its path): it must stay reportgen's.
    from click.testing import CliRunner

    from reportgen.cli import main

    out = tmp_path / "demo"
    args = ["demo", "--out", str(out), "--samples", "1", "--format", "json", "--ig-steps", "2", "--deterministic",
            "--no-progress"]
    assert CliRunner().invoke(main, args, catch_exceptions=False).exit_code == 0
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    again = CliRunner().invoke(main, args, catch_exceptions=False)
    assert again.exit_code == 0, again.output
    manifest = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))["files"]
    assert "demo-data/EDP.csv" in manifest and "results.json" in manifest and "notes.txt" not in manifest
    (out / "demo-data" / "pics" / "my-photo.png").write_bytes(b"the user's")
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 1 and "my-photo.png exists and was not written by reportgen" in refused.output
    assert (out / "demo-data" / "pics" / "my-photo.png").read_bytes() == b"the user's"
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
