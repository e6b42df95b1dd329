"""powertools' structured logs and metrics as the handlers write them."""
from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from chalicelib import observability


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.fixture()
def log_output() -> Iterator[io.StringIO]:
    """What chalicelib's powertools handler writes (to stdout in Lambda)."""
    handlers = logging.getLogger("chalicelib").handlers
    (handler,) = [h for h in handlers if type(h.formatter).__name__ == "LambdaPowertoolsFormatter"]
    buffer = io.StringIO()
    previous = handler.setStream(buffer)  # type: ignore[attr-defined]
    try:
        yield buffer
    finally:
        handler.setStream(previous)  # type: ignore[attr-defined]


def test_log_lines_are_json_with_the_bound_job_keys_until_the_invocation_ends(log_output: io.StringIO) -> None:
    log = logging.getLogger("chalicelib.services.example")
    with observability.invocation("SQSEvent"):
        observability.bind(tenant_id="acme", transcript_id="t-1")
        log.warning("job started")
    log.warning("between invocations")
    first, second = json_lines(log_output.getvalue())
    assert first["message"] == "job started" and first["service"] == "hark"
    assert (first["tenant_id"], first["transcript_id"], first["event"]) == ("acme", "t-1", "SQSEvent")
    assert "tenant_id" not in second and "transcript_id" not in second


def test_job_metrics_are_embedded_metric_lines_by_status(capfd: pytest.CaptureFixture[str]) -> None:
    observability.job_finished("Transcript", "completed", audio_seconds=12.5, duration_seconds=3.0)
    metrics = {name: line for line in json_lines(capfd.readouterr().out) for name in line if name.startswith("Transcript")}
    assert metrics["TranscriptJobs"]["status"] == "completed"
    assert metrics["TranscriptAudioSeconds"]["TranscriptAudioSeconds"] == [12.5]
    assert metrics["TranscriptJobDuration"]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Hark"
