"""Cold-start import cost of the Lambda side: `python -X importtime -c "import app"`,
summed from the interpreter's own report (goal: under 0.5 s)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5


def import_seconds() -> float:
    report = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import app"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stderr
    # The last line is the top-level "app" import; its cumulative column covers everything.
    cumulative_us = int(report.strip().splitlines()[-1].split("|")[1])
    return cumulative_us / 1e6


def main() -> None:
    runs = sorted(import_seconds() for _ in range(RUNS))
    print(f"import app: median {runs[RUNS // 2]:.3f} s, max {runs[-1]:.3f} s over {RUNS} runs (goal < 0.5 s)")


if __name__ == "__main__":
    main()
