"""The README's cost estimate ("What it costs"), as the dry run prints it. Public on-demand prices
for us-east-1, read on the date below; update both places together."""
from __future__ import annotations

PRICES_READ_ON = "2026-12-01"
IDLE_MONTHLY = "about $2-3 a month (scaled to zero: SQS polling, alarms, image storage)"
# SageMaker hosting, dollars per instance-hour, as quoted in the README.
INSTANCE_HOURLY = {"ml.g4dn.xlarge": 0.736}
# Audio hours per instance-hour on the GPU: an estimate (central 40, range 20-60), not measured.
REAL_TIME_FACTOR = (20, 40, 60)
BURST_COST = 0.30  # start-up plus idle tail of an instance that starts from zero


def estimate(instance_type: str) -> list[str]:
    lines = [f"idle: {IDLE_MONTHLY}"]
    hourly = INSTANCE_HOURLY.get(instance_type)
    if hourly is None:
        lines.append(f"per audio hour: no price on file for {instance_type}; see the README's cost section")
        return lines
    slow, central, fast = (hourly / factor for factor in REAL_TIME_FACTOR)
    lines.append(
        f"per audio hour on {instance_type} (${hourly}/h): ~${central:.3f} (range ${fast:.3f}-${slow:.3f}), "
        f"plus ~${BURST_COST:.2f} per burst that starts from zero (us-east-1 prices read {PRICES_READ_ON})"
    )
    return lines
