"""Structured logs, metrics and traces for every Lambda handler, with powertools.

- Logs: every ``chalicelib`` logger writes powertools' JSON lines, carrying the keys bound
  with `bind` (tenant_id, transcript_id or model_id) for the rest of the invocation.
- Metrics: CloudWatch embedded-metric-format lines, namespace "Hark": jobs by status,
  audio seconds and job durations (see `job_finished`).
- Traces: powertools' Tracer patches boto3 for X-Ray in Lambda. It is made only there
  (and not when POWERTOOLS_TRACE_DISABLED is set): even switched off, it imports the X-Ray
  SDK and botocore, 0.2 s that every local process and test would pay for nothing.
"""
from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

SERVICE = "hark"
NAMESPACE = "Hark"
BOUND_KEYS = ("tenant_id", "transcript_id", "model_id")

logger = Logger(service=SERVICE)
# The environment is read here, not through chalicelib.config, because these are the very
# variables powertools itself reads to decide whether to trace.
_in_lambda = bool(os.environ.get("LAMBDA_TASK_ROOT")) and not os.environ.get("AWS_CHALICE_CLI_MODE")
_trace = _in_lambda and os.environ.get("POWERTOOLS_TRACE_DISABLED", "false").lower() not in {"1", "true"}
tracer: Tracer | None = Tracer(service=SERVICE) if _trace else None

# The modules log with the standard library (they know nothing of powertools); their parent
# logger gets powertools' handler and formatter, and does not hand records on to the root
# logger as well, which would print each line twice.
logging.getLogger("chalicelib")
copy_config_to_registered_loggers(source_logger=logger, include={"chalicelib"})
logging.getLogger("chalicelib").propagate = False


def bind(**keys: str) -> None:
    """Adds job keys to every log line (and trace annotation) until the invocation ends."""
    logger.append_keys(**keys)
    if tracer is not None:
        for name, value in keys.items():
            tracer.put_annotation(name, value)


@contextmanager
def invocation(event_type: str, context: Any = None) -> Iterator[None]:
    """One handler invocation: its function, event type and request id on each log line (and
    its own trace subsegment, which annotations need: Lambda's own segment takes none); the
    keys bound during it are cleared after."""
    logger.append_keys(
        function=getattr(context, "function_name", None),
        event=event_type,
        request_id=getattr(context, "aws_request_id", None),
    )
    try:
        with ExitStack() as scope:
            if tracer is not None:
                scope.enter_context(tracer.provider.in_subsegment(f"## {event_type}"))
            yield
    finally:
        logger.remove_keys(["function", "event", "request_id", *BOUND_KEYS])


_metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
_metrics_lock = threading.Lock()  # the local stack runs handlers on many threads


def count(metric: str, status: str, value: float = 1, unit: str = MetricUnit.Count) -> None:
    """A metric with a ``status`` dimension, flushed at once (one EMF line) so that several
    statuses in one invocation do not share one dimension set. POWERTOOLS_METRICS_DISABLED
    (which the local stack sets) turns them off."""
    if is_metrics_disabled():  # checked here: a disabled flush would keep the dimension
        return
    with _metrics_lock:
        _metrics.add_dimension(name="status", value=status)
        _metrics.add_metric(name=metric, unit=unit, value=value)
        _metrics.flush_metrics()


def job_finished(kind: str, status: str, audio_seconds: float | None, duration_seconds: float | None) -> None:
    count(f"{kind}Jobs", status)
    if audio_seconds:
        count(f"{kind}AudioSeconds", status, audio_seconds, MetricUnit.Seconds)
    if duration_seconds is not None:
        count(f"{kind}JobDuration", status, duration_seconds, MetricUnit.Seconds)


def metrics_enabled() -> bool:
    return not is_metrics_disabled()


def queue_depth(line: str, tenant_id: str, waiting: int, admitted: int) -> None:
    """A tenant's jobs waiting for a place and holding one (fair sharing), per line
    ("transcripts", "training"): one EMF line with both, dimensioned by line and tenant."""
    if is_metrics_disabled():
        return
    with _metrics_lock:
        _metrics.add_dimension(name="line", value=line)
        _metrics.add_dimension(name="tenant", value=tenant_id)
        _metrics.add_metric(name="QueuedJobs", unit=MetricUnit.Count, value=waiting)
        _metrics.add_metric(name="AdmittedJobs", unit=MetricUnit.Count, value=admitted)
        _metrics.flush_metrics()
