"""CPU accounting from Linux /proc, so a report can say where the cores went and whether
anything else on the machine was competing. Every function returns None (or nothing) where
/proc is unavailable."""
from __future__ import annotations

import os
import time
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a live process (Linux /proc; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICK


def descendant_pids(pid: int) -> list[int]:
    """Every process below `pid` (the runner's orphan guard and inference container); empty
    where /proc is missing."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    found: list[int] = []
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, p in parents.items() if p == parent]
        found += children
        frontier += children
    return found


def machine_busy_seconds() -> float | None:
    """CPU seconds all cores have spent busy since boot (every process, ours included)."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except OSError:
        return None
    # user nice system idle iowait irq softirq steal: the work of this machine's own processes
    # (steal is the hypervisor running someone else).
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in first[1:8])
    return (user + nice + system + irq + softirq) / _TICK


def wait_for_quiet(max_wait_s: float = 300, max_busy_cores: float = 0.3, window_s: float = 3) -> None:
    """Waits (up to `max_wait_s`) until the whole machine is near idle, because a benchmark
    sharing its cores with other work measures that work too. The stack at rest counts as busy,
    so the threshold leaves room for it."""
    deadline = time.monotonic() + max_wait_s
    announced = False
    while time.monotonic() < deadline:
        before = machine_busy_seconds()
        if before is None:
            return
        time.sleep(window_s)
        after = machine_busy_seconds()
        if after is not None and (after - before) / window_s <= max_busy_cores:
            return
        if not announced:
            print(f"  waiting up to {max_wait_s:.0f} s for other processes to leave the cores idle...", flush=True)
            announced = True
    print("  the machine stayed busy; measuring anyway")
