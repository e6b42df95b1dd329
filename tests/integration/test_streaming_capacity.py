"""A streaming process at capacity: the next stream is refused with AssemblyAI's close code for
too many concurrent sessions (through a real WebSocket and the official SDK), the streams it
holds keep being served, and the count it reports for scaling says so."""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from assemblyai.streaming.v3 import (
    StreamingClient,
    StreamingClientOptions,
    StreamingEvents,
    StreamingParameters,
)
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from hark_streaming import metrics, protocol
from hark_streaming.server import Access, BackgroundServer, StreamingService
from sagemaker_jobs.asr import audio
from sagemaker_jobs.asr.engine import Engine, EngineSettings
from sagemaker_jobs.asr.engines import SpeechEngines
from tests.conftest import pcm16

pytestmark = [pytest.mark.timeout(240)]
CLIP = Path(__file__).parents[1] / "fixtures" / "audio" / "ls_1089-134686-0000.flac"


@pytest.fixture(scope="module")
def full() -> Iterator[tuple[StreamingService, str]]:
    """A service that holds one stream, on a free port."""
    engine = Engine(EngineSettings.from_env({}))
    access = Access(tenant=lambda credential: "tenant", model=lambda tenant, model: None)  # type: ignore[arg-type, return-value]
    service = StreamingService(SpeechEngines(engine, {}), access, max_streams=1)
    server = BackgroundServer(service, "127.0.0.1", 0).start()
    yield service, f"ws://127.0.0.1:{server.port}"
    server.stop()


def test_the_stream_over_capacity_is_refused_and_the_one_held_is_served(full: tuple[StreamingService, str]) -> None:
    service, url = full
    samples = audio.decode(CLIP.read_bytes())[: 16000 * 4]
    with connect(f"{url}/v3/ws?sample_rate=16000", additional_headers={"Authorization": "key"}) as held:
        assert json.loads(held.recv(timeout=30))["type"] == "Begin"
        with connect(f"{url}/v3/ws?sample_rate=16000", additional_headers={"Authorization": "key"}) as extra:
            with pytest.raises(ConnectionClosed) as closed:
                extra.recv(timeout=30)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == protocol.TOO_MANY_SESSIONS
        assert "Too many concurrent sessions" in closed.value.rcvd.reason

        data = pcm16(samples)
        for i in range(0, len(data), 3200):
            held.send(data[i : i + 3200])
        held.send(json.dumps({"type": "Terminate"}))
        events = []
        try:
            while True:
                events.append(json.loads(held.recv(timeout=60)))
        except ConnectionClosed:
            pass
    finals = [e["transcript"] for e in events if e["type"] == "Turn" and e["end_of_turn"]]
    assert "stew for dinner" in " ".join(finals).lower()
    assert events[-1]["type"] == "Termination"
    assert service.refused >= 1


# The SDK's reader reads the close code the deprecated way; a user sees no warning.
@pytest.mark.filterwarnings("ignore:ConnectionClosed:DeprecationWarning")
def test_the_official_sdk_reads_the_refusal_as_an_error(full: tuple[StreamingService, str]) -> None:
    _, url = full
    with connect(f"{url}/v3/ws?sample_rate=16000", additional_headers={"Authorization": "key"}) as held:
        held.recv(timeout=30)
        errors: list[Any] = []
        client = StreamingClient(StreamingClientOptions(api_key="key", api_host=url))
        client.on(StreamingEvents.Error, lambda _, error: errors.append(error))
        client.connect(StreamingParameters(sample_rate=16000))
        client.disconnect(terminate=False)
    assert errors and "Too many concurrent sessions" in str(errors[0]), errors


def test_the_scaling_metric_counts_live_streams_and_refusals(
    full: tuple[StreamingService, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    service, _ = full
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    service.refused = 3

    metrics.report(service)

    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["LiveStreams"] in (service.sessions, [service.sessions]) and line["StreamsRefused"] in (3, [3])
    assert line["service"] == "streaming" and line["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Hark"
    assert service.refused == 0
