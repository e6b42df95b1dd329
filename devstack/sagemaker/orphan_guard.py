"""Runs a container command and ends it when the process that started it is gone.

Containers run in their own session (so a Ctrl-C meant for the runner does not hit them
mid-request), which also means nothing stops them if the runner dies without cleaning up,
e.g. by SIGKILL. This guard sits between the two: ``python -m devstack.sagemaker.orphan_guard
<runner pid> <command...>``. It passes SIGTERM/SIGINT on to the container and exits with it.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys

POLL_S = 1.0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return os.getppid() == pid


def main(argv: list[str]) -> int:
    runner_pid, command = int(argv[0]), argv[1:]
    child = subprocess.Popen(command)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, _frame: child.send_signal(signum))
    while True:
        try:
            return child.wait(timeout=POLL_S)
        except subprocess.TimeoutExpired:
            if not _alive(runner_pid):
                child.terminate()
                try:
                    return child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
                    return child.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
