"""`make demo`'s job, run as `make demo` runs it (on free ports): it trains a custom model from
sample text and prints the same audio's transcript without and with it, and the difference."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from devstack.process import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_runs_the_main_job_end_to_end(tmp_path: Path) -> None:
    # (The decoder does not adapt by default; the demo says so and how to ask for it.)
    env = {**os.environ, "HARK_STATE_FILE": str(tmp_path / "state.json")}
    done = subprocess.run(
        [sys.executable, "-m", "devstack", "demo", "--port", str(free_port()), "--moto-port", str(free_port())],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "stew for dinner" in out and "ready; domain phrases found:" in out and "decoder not adapted: the service does not adapt" in out
    without = next(line for line in out.splitlines() if "without the model:" in line)
    with_model = next(line for line in out.splitlines() if "with the model:" in line)
    assert "Zentrix" not in without and "Zentrix" in with_model
    assert "difference:" in out and "[-" in out
    assert '"_aws"' not in out  # no metric lines in the demo's output
