"""Issue 20, item 6: Ctrl-C or ``make stop`` stops web and worker cleanly within 5 s.

``scripts/run`` (what ``make run`` starts) is run for real, as a subprocess, on a migrated
SQLite database of its own; once the web server answers and the worker's cluster is up, it is
sent SIGTERM, SIGINT (Ctrl-C) or ``scripts/run stop`` (``make stop``), and it and every
process it started must be gone. The bounds on how long that takes are correctness checks of a
subprocess's exit, not speed assertions, and generous for a loaded machine: the runner gives
its processes STOP_GRACE seconds (4 in real use; 8 here) before it kills what is left, and a
kill makes the test fail, so the processes themselves must stop on the signal."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
STOP_GRACE = 8  # seconds the runner waits before it kills, in these tests
EXIT_BOUND = 15  # seconds for the runner to be gone after the signal (see the docstring)
START_BOUND = 120  # seconds for web and worker to come up on a loaded machine


def _environment(var: Path, port: int) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "REDIS_", "EMAIL_", "IMAP_", "CCAP_", "DJANGO_"))
    }
    return env | {
        "CCAP_VAR_DIR": str(var),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "Q_WORKERS": "1",
        "STOP_GRACE": str(STOP_GRACE),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }


@pytest.fixture(scope="module")
def var(tmp_path_factory) -> Path:
    """A var directory with a migrated SQLite database, shared by this module's runs."""
    var = tmp_path_factory.mktemp("run-var")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
        cwd=ROOT,
        env=_environment(var, 0),
        check=True,
        timeout=300,
    )
    return var


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.append(int(entry.name))
    return found


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        for child in _children(todo.pop()):
            found.append(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _kill_all(pids: list[int]) -> None:
    """A failed test leaves none of the processes it started behind (only those pids)."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:  # noqa: S310
            return response.status == 200
    except OSError:
        return False


def _wait_until(condition, bound: float, what: str) -> None:
    deadline = time.monotonic() + bound
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {bound} s")
        time.sleep(0.2)


def _started(var: Path, log: Path) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    runner = subprocess.Popen(  # noqa: S603
        [sys.executable, "scripts/run"],
        cwd=ROOT,
        env=_environment(var, port),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    _wait_until(lambda: _answers(port), START_BOUND, "the web server did not answer")
    # The worker's cluster: its sentinel, the pusher, the monitor and one worker process.
    _wait_until(lambda: len(_descendants(runner.pid)) >= 6, START_BOUND, "the worker did not start")
    time.sleep(1)  # the cluster's start-up signalled done (start_event) before a stop
    return runner, port


@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT", "make stop"])
def test_the_runner_stops_web_and_worker_on_a_signal(var, tmp_path, how):
    log = tmp_path / "run.log"
    runner, port = _started(var, log)
    processes = _descendants(runner.pid)
    assert (var / "run.pid").read_text().strip() == str(runner.pid)
    if how == "make stop":
        stop = subprocess.run(
            [sys.executable, "scripts/run", "stop"],
            cwd=ROOT,
            env=_environment(var, port),
            capture_output=True,
            text=True,
            timeout=EXIT_BOUND + 5,
        )
        assert stop.returncode == 0, stop.stderr
    else:
        runner.send_signal(getattr(signal, how))
    try:
        code = runner.wait(timeout=EXIT_BOUND)
    except subprocess.TimeoutExpired:
        _kill_all([runner.pid, *processes])
        pytest.fail(f"the runner was still running {EXIT_BOUND} s after {how}:\n{log.read_text()}")
    output = log.read_text()
    assert code == 0, output
    assert "web stopped" in output, output
    assert "worker stopped" in output, output
    assert "killed" not in output, output
    assert [pid for pid in processes if _alive(pid)] == []
    assert not (var / "run.pid").exists()
    assert not _answers(port)


def test_the_worker_handles_sigterm(var):
    """``manage.py worker`` itself stops its cluster and exits 0 on SIGTERM (not killed by
    it, which would leave its pool behind)."""
    worker = subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", "worker"], cwd=ROOT, env=_environment(var, 0)
    )
    _wait_until(lambda: len(_descendants(worker.pid)) >= 4, START_BOUND, "no cluster")
    time.sleep(1)
    processes = _descendants(worker.pid)
    worker.send_signal(signal.SIGTERM)
    try:
        code = worker.wait(timeout=EXIT_BOUND)
    except subprocess.TimeoutExpired:
        _kill_all([worker.pid, *processes])
        pytest.fail(f"the worker was still running {EXIT_BOUND} s after SIGTERM")
    assert code == 0
    _wait_until(
        lambda: not [p for p in processes if _alive(p)], 5, "the cluster's processes remained"
    )


def test_stop_without_a_runner_says_so(tmp_path):
    result = subprocess.run(
        [sys.executable, "scripts/run", "stop"],
        cwd=ROOT,
        env=_environment(tmp_path, 0),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0
    assert "nothing to stop" in result.stderr
