"""Real-time transcription on the local stack: AssemblyAI's v3 streaming protocol, spoken by
the official SDK's StreamingClient and, for misbehaving clients, by a raw WebSocket."""
from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import jiwer
import numpy as np
import pytest
from assemblyai.streaming.v3 import (
    StreamingClient,
    StreamingClientOptions,
    StreamingEvents,
    StreamingParameters,
)
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect
from whisper_normalizer.english import EnglishTextNormalizer

from sagemaker_jobs.asr import audio
from tests.conftest import pcm16, wav_bytes
from tests.e2e.conftest import Stack, submit, upload
from tests.e2e.test_custom_models import HISTORY, create, wait_model

# Faster than real time by default, so the suite stays quick; 1 streams at the pace of speech.
SPEED = float(os.environ.get("HARK_TEST_STREAM_SPEED", "4"))
CHUNK_MS = 100
normalize = EnglishTextNormalizer()


@pytest.fixture(scope="module")
def recording(audio_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    """Two speakers' sentences with a pause between, as one 16 kHz recording."""
    parts = [audio.decode((audio_dir / n).read_bytes()) for n in ("ls_1089-134686-0000.flac", "ls_2412-153948-0000.flac")]
    pause = np.zeros(24000, dtype=np.float32)
    samples = np.concatenate([parts[0], pause, parts[1], pause])
    path = tmp_path_factory.mktemp("stream") / "two_turns.wav"
    path.write_bytes(wav_bytes(samples))
    return path, samples


class Session:
    """One StreamingClient session's events."""

    def __init__(self, stack: Stack, token: str | None = None, **params: Any) -> None:
        options = StreamingClientOptions(
            api_key=None if token else stack.key, token=token, api_host=stack.streaming_url, terminate_timeout=120
        )
        self.client = StreamingClient(options)
        self.turns: list[Any] = []
        self.begin: Any = None
        self.termination: Any = None
        self.errors: list[Any] = []
        self.client.on(StreamingEvents.Begin, lambda _, e: setattr(self, "begin", e))
        self.client.on(StreamingEvents.Turn, lambda _, e: self.turns.append(e))
        self.client.on(StreamingEvents.Termination, lambda _, e: setattr(self, "termination", e))
        self.client.on(StreamingEvents.Error, lambda _, e: self.errors.append(e))
        self.client.connect(StreamingParameters(sample_rate=16000, **params))

    def stream(self, samples: np.ndarray) -> None:
        step = 16000 * CHUNK_MS // 1000
        data = pcm16(samples)

        def chunks() -> Any:
            for i in range(0, len(samples), step):
                yield data[2 * i : 2 * (i + step)]
                time.sleep(CHUNK_MS / 1000 / SPEED)

        self.client.stream(chunks())
        self.client.disconnect(terminate=True)

    def final_text(self, formatted: bool) -> str:
        return " ".join(t.transcript for t in self.turns if t.end_of_turn and t.turn_is_formatted == formatted)


def test_a_recording_streamed_through_the_sdk_matches_its_batch_transcript(stack: Stack, recording: Any) -> None:
    path, samples = recording
    session = Session(stack, format_turns=True)
    session.stream(samples)
    assert session.errors == [] and session.begin is not None
    assert session.termination is not None and abs(session.termination.audio_duration_seconds - len(samples) / 16000) <= 1

    finals = [t for t in session.turns if t.end_of_turn and t.turn_is_formatted]
    # A turn ends at the pause between the speakers, and wherever a sentence ends on a pause.
    assert len(finals) >= 2 and finals[0].transcript.endswith("sauce."), [t.transcript for t in finals]
    assert [t.turn_order for t in finals] == list(range(len(finals)))
    partials = [t for t in session.turns if not t.end_of_turn]
    assert partials and all(not w.word_is_final for t in partials for w in t.words)
    first = finals[0]
    assert first.end_of_turn_confidence == 1.0 and first.words[0].start < first.words[-1].end
    assert finals[1].words[0].start > 10_000  # the stream's time (the first sentence lasts 10.4 s), not the turn's

    batch = stack.wait(submit(stack, upload(stack, path))["id"])
    streamed = session.final_text(formatted=True)
    assert jiwer.wer(normalize(batch["text"]), normalize(streamed)) < 0.15, (batch["text"], streamed)
    unformatted = session.final_text(formatted=False)
    assert unformatted == unformatted.lower() and "," not in unformatted


def test_a_temporary_token_opens_a_stream(stack: Stack, recording: Any) -> None:
    with stack.client() as c:
        token = c.get("/v3/token", params={"expires_in_seconds": 60}).json()["token"]
        assert c.get("/v3/token", params={"expires_in_seconds": 6000}).status_code == 400
    session = Session(stack, token=token)
    session.stream(recording[1][: 16000 * 3])
    assert session.begin is not None and session.errors == []


def test_a_custom_model_and_key_terms_apply_to_streaming(stack: Stack, audio_dir: Path) -> None:
    model = wait_model(stack, create(stack, name="streaming vendor", texts=HISTORY)["id"])
    samples = audio.decode((audio_dir / "custom_model_names.ogg").read_bytes())
    plain = Session(stack)
    plain.stream(samples)
    # The SDK's parameters have no field for Hark's custom_model_id; a raw connection sends it.
    text = stream_raw(stack, samples, f"&custom_model_id={model['id']}")
    assert "zentrix" not in plain.final_text(formatted=False)
    assert "zentrix" in text.lower() and "kavanaugh" in text.lower(), text
    terms = Session(stack, keyterms_prompt=["Zentrix", "Omniflow", "Kavanaugh Biolabs"])
    terms.stream(samples)
    assert "zentrix" in terms.final_text(formatted=False), terms.final_text(formatted=False)


def stream_raw(stack: Stack, samples: np.ndarray, extra_query: str = "") -> str:
    """Streams over a plain WebSocket and returns the final turns' text."""
    finals = []
    with connect(f"{stack.streaming_url}/v3/ws?sample_rate=16000{extra_query}", additional_headers={"Authorization": stack.key}) as ws:
        assert json.loads(ws.recv())["type"] == "Begin"
        reader = threading.Thread(target=lambda: finals.extend(_finals(ws)), daemon=True)
        reader.start()
        step = 1600
        for i in range(0, len(samples), step):
            ws.send(pcm16(samples[i : i + step]))
        ws.send(json.dumps({"type": "Terminate"}))
        reader.join(120)
    return " ".join(finals)


def _finals(ws: Any) -> list[str]:
    out = []
    try:
        for message in ws:
            event = json.loads(message)
            if event["type"] == "Turn" and event["end_of_turn"] and not event["turn_is_formatted"]:
                out.append(event["transcript"])
    except ConnectionClosed:
        pass
    return out


# --- misbehaving clients ----------------------------------------------------------------------


def closed_with(stack: Stack, query: str, send: list[bytes | str], key: str | None = None) -> tuple[int, str]:
    """Opens a stream, sends ``send`` and returns the close code and reason it ends with."""
    with connect(f"{stack.streaming_url}/v3/ws?{query}", additional_headers={"Authorization": key or stack.key}, max_size=None) as ws:
        try:
            for item in send:
                ws.send(item)
            while True:
                ws.recv(timeout=60)
        except ConnectionClosed as e:
            assert e.rcvd is not None
            return e.rcvd.code, e.rcvd.reason
    raise AssertionError("the server did not close the stream")


@pytest.mark.parametrize(
    ("query", "send", "code", "fragment"),
    [
        ("sample_rate=0", [], 4000, "sample_rate"),
        ("sample_rate=16000&encoding=mp3", [], 3006, "encoding"),
        ("sample_rate=16000", ["not json"], 4100, "not JSON"),
        ("sample_rate=16000", ['{"type": "Dance"}'], 4101, "Terminate"),
        ("sample_rate=16000", [b"\x00" * 321], 3006, "16-bit"),
        ("sample_rate=16000", [b"\x00" * 64_000], 3007, "1000 ms"),
        ("sample_rate=16000&inactivity_timeout=5", [b"\x00" * 3200], 4031, "no audio"),
        ("sample_rate=16000&custom_model_id=no-such-model", [], 3006, "not found"),
    ],
)
def test_bad_streams_get_a_clear_close_code(stack: Stack, query: str, send: list[Any], code: int, fragment: str) -> None:
    got_code, reason = closed_with(stack, query, send)
    assert got_code == code and fragment in reason, reason


def test_an_oversized_frame_closes_the_stream_and_the_service_stays_up(stack: Stack, recording: Any) -> None:
    code, _ = closed_with(stack, "sample_rate=16000", [b"\x00" * (2 << 20)])
    assert code == 1009  # websockets' "message too big"
    session = Session(stack)
    session.stream(recording[1][: 16000 * 3])
    assert session.begin is not None and session.errors == []


def test_wrong_credentials_are_refused_at_the_handshake(stack: Stack) -> None:
    response = httpx.get(
        f"{stack.streaming_url.replace('ws://', 'http://')}/v3/ws?sample_rate=16000",
        headers={"Authorization": "hark_wrong", "Connection": "Upgrade", "Upgrade": "websocket",
                 "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="},
    )
    assert response.status_code == 401


def test_a_client_that_vanishes_mid_stream_leaves_the_service_serving(stack: Stack, recording: Any) -> None:
    with contextlib.suppress(OSError, ConnectionClosed):
        with connect(f"{stack.streaming_url}/v3/ws?sample_rate=16000", additional_headers={"Authorization": stack.key}) as ws:
            ws.send(pcm16(recording[1][:16000]))
            ws.socket.close()  # no Terminate, no close frame
    session = Session(stack)
    session.stream(recording[1][: 16000 * 3])
    assert session.begin is not None and session.errors == []


def test_the_multilingual_model_streams_spanish_and_reports_each_final_turns_language(
    stack: Stack, audio_dir: Path
) -> None:
    # A real Spanish speaker (FLEURS, CC BY 4.0), then silence so the turn ends.
    samples = audio.decode((audio_dir / "fleurs_es.ogg").read_bytes())
    samples = np.concatenate([samples, np.zeros(32000, dtype=np.float32)])
    session = Session(stack, speech_model="universal-streaming-multilingual", language_detection=True)
    session.stream(samples)

    assert not session.errors, session.errors
    finals = [t for t in session.turns if t.end_of_turn]
    assert finals and {t.language_code for t in finals} == {"es"}, [(t.transcript, t.language_code) for t in finals]
    assert all(t.language_confidence > 0.8 for t in finals)
    assert "homenaje" in session.final_text(formatted=False).lower(), session.final_text(formatted=False)


def test_language_detection_with_the_english_streaming_model_is_refused(stack: Stack) -> None:
    code, reason = closed_with(stack, "sample_rate=16000&language_detection=true", [])
    assert code == 3006 and "universal-streaming-multilingual" in reason, (code, reason)
