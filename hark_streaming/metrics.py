"""What the streaming service reports for scaling: live streams and streams refused for
capacity, once a minute, as CloudWatch embedded-metric-format lines on stdout (the task's log
driver sends them to CloudWatch Logs, which makes them metrics). The service's scaling policy
tracks the average of LiveStreams over its tasks (infra/streaming.yaml): it reflects what a task
can hold, where CPU alone does not (a task at capacity may idle between turns).
POWERTOOLS_METRICS_DISABLED turns the lines off (the local stack sets it)."""
from __future__ import annotations

import asyncio
from typing import Protocol

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

NAMESPACE = "Hark"
SERVICE = "streaming"
EVERY_S = 60.0


class Counted(Protocol):
    sessions: int
    refused: int


_metrics = Metrics(namespace=NAMESPACE, service=SERVICE)


def report(service: Counted) -> None:
    """One EMF line with the live streams and the refusals since the last one."""
    refused, service.refused = service.refused, 0
    if is_metrics_disabled():
        return
    _metrics.add_metric(name="LiveStreams", unit=MetricUnit.Count, value=service.sessions)
    _metrics.add_metric(name="StreamsRefused", unit=MetricUnit.Count, value=refused)
    _metrics.flush_metrics()


async def report_forever(service: Counted, every_s: float = EVERY_S) -> None:
    while True:
        await asyncio.sleep(every_s)
        report(service)
