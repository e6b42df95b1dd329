"""The local stack as a separate process, exactly as `make serve` starts it: what the
end-to-end tests and the benchmarks run against."""
from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class StackDidNotStart(RuntimeError):
    pass


@dataclass(frozen=True)
class StackProcess:
    api_url: str
    streaming_url: str
    key: str
    env: dict[str, str]
    process: subprocess.Popen[str]
    log_path: Path
    """Everything the stack printed: its stderr and, after READY, its stdout (the app's JSON
    logs and metrics, the inference worker's log)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_stack(
    log_path: Path, state_file: Path, env: Mapping[str, str] | None = None, startup_timeout_s: float = 300
) -> Iterator[StackProcess]:
    """Starts `python -m devstack serve` on free ports with a fresh dev key, waits for READY
    (the model loaded), and stops it on exit."""
    api_port, moto_port, streaming_port = free_port(), free_port(), free_port()
    full_env = {
        **os.environ,
        "HARK_DEV_API_KEY": "hark_dev_" + secrets.token_hex(8),
        "HARK_STATE_FILE": str(state_file),  # not the repo's own .hark/, which `make serve` uses
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    with open(log_path, "w+") as log:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "devstack", "serve",
                "--port", str(api_port), "--moto-port", str(moto_port), "--streaming-port", str(streaming_port),
            ],
            cwd=ROOT, env=full_env, stdout=subprocess.PIPE, stderr=log, text=True,
        )
        copier = threading.Thread(target=_copy, args=(process, log), daemon=True)
        try:
            _wait_ready(process, log, startup_timeout_s)
            # Keep reading stdout: a pipe nobody reads fills up and then blocks the stack.
            copier.start()
            yield StackProcess(
                f"http://127.0.0.1:{api_port}", f"ws://127.0.0.1:{streaming_port}",
                full_env["HARK_DEV_API_KEY"], full_env, process, log_path,
            )
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if copier.is_alive():
                copier.join(timeout=5)  # it ends at the pipe's end of file
            if process.stdout is not None:
                process.stdout.close()


def _wait_ready(process: subprocess.Popen[str], log: object, timeout_s: float) -> None:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout_s
    for line in process.stdout:
        if line.strip() == "READY":
            return
        if time.monotonic() > deadline:
            break
    log.seek(0)  # type: ignore[attr-defined]
    raise StackDidNotStart(f"the local stack did not start:\n{log.read()[-4000:]}")  # type: ignore[attr-defined]


def _copy(process: subprocess.Popen[str], log: object) -> None:
    assert process.stdout is not None
    try:
        for line in process.stdout:
            log.write(line)  # type: ignore[attr-defined]
    except ValueError:  # the log was closed as the stack stopped
        pass
