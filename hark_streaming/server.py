"""The streaming service: AssemblyAI's v3 WebSocket protocol at ``/v3/ws``.

    ws://host:port/v3/ws?sample_rate=16000&encoding=pcm_s16le&format_turns=true
        &keyterms_prompt=["Zentrix"]&custom_model_id=<id>
    Authorization: <API key or a temporary token from GET /v3/token>   (or ?token=...)

Every stream gets a reader (frames in, decoded at once) and a processor (the turn tracker,
run in a worker thread of its own). The processor takes all audio that queued up while it was
busy in one go, so a slow moment costs a partial, never a growing delay. Every stream's decodes
go through the process's one `scheduler.DecodeScheduler`, which batches them across streams,
ends of turns first. A bad client only ever ends its own session, with a close code from
`protocol`.

A process serves at most `max_streams` streams (HARK_STREAMS_PER_TASK); the next is closed at
once with AssemblyAI's code for too many concurrent sessions (3009), so a full task refuses a
newcomer rather than slowing every stream it holds. Under that, a busy engine drops partials
first (the scheduler's back-pressure). Every minute the process reports its
live streams and refusals (`metrics`), which the service scales on (infra/streaming.yaml).
"""
from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from http import HTTPStatus
from typing import Any, Optional
from urllib.parse import parse_qsl, urlsplit

import numpy as np
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from hark_streaming import metrics, protocol
from hark_streaming.pcm import PcmDecoder
from hark_streaming.protocol import ProtocolError, SessionParams, TurnSettings
from hark_streaming.scheduler import DecodeScheduler, Urgency
from hark_streaming.turns import TurnTracker
from sagemaker_jobs.asr.custom import Artifact, RequestOptions, transcribe
from sagemaker_jobs.asr.custom.adapted import AdaptedEngines
from sagemaker_jobs.asr.engine import DecodeOptions, Engine
from sagemaker_jobs.asr.engines import SpeechEngines
from sagemaker_jobs.asr.result import TranscriptionResult

logger = logging.getLogger(__name__)

PATH = "/v3/ws"
MAX_FRAME_BYTES = 1 << 20
MAX_BACKLOG_S = 60.0
"""Audio queued but not yet processed; beyond it the client is sending faster than it can be
transcribed (close 4029)."""
SESSION_HOURS = 3
DEFAULT_MAX_STREAMS = 6
"""Streams per process when HARK_STREAMS_PER_TASK is unset: what a 2-vCPU task serves with every
turn transcribed (bench.streaming, 2026-12-07, one decode per core: 8 streams median 0.6 s and
p95 1.3 s from an utterance's last speech to its final turn; 6 leaves room for longer turns and
slower vCPUs than the benchmark's)."""


@dataclass(frozen=True)
class Access:
    """How the service checks who is calling and finds their custom models (the API's
    keys and models tables on AWS; injected so the service holds no AWS code itself)."""

    tenant: Callable[[Optional[str]], str]
    """The tenant of an API key or temporary token; raises for anything else."""
    model: Callable[[str, str], Artifact]
    """A ready custom model of the tenant, by id; raises a user-facing error otherwise."""


class StreamingService:
    def __init__(self, engines: SpeechEngines, access: Access, max_streams: int = DEFAULT_MAX_STREAMS) -> None:
        self._engines = engines
        self._adapted = AdaptedEngines()  # custom models that adapted the decoder
        self._access = access
        self.max_streams = max_streams
        self.refused = 0  # streams closed for capacity since the last report
        self.reporter: Optional[asyncio.Task[None]] = None  # kept here: the loop holds tasks weakly
        # Many streams, one or two models: every decode goes through one scheduler, which
        # batches them, instead of the streams fighting over the cores.
        self.scheduler = DecodeScheduler(workers=engines.default.settings.workers)
        # A thread per stream for its turn tracker, which waits on the scheduler: the event
        # loop's default pool has only a few (cores + 4), and a stream waiting for one of
        # them falls behind for no reason of its own.
        self._workers = ThreadPoolExecutor(max_workers=max_streams + 1, thread_name_prefix="stream")
        self.sessions = 0

    def close(self) -> None:
        """Lets the streams' worker threads go once their work is done (the server has stopped)."""
        self._workers.shutdown(wait=False)

    async def authorize(self, connection: ServerConnection, request: Request) -> Optional[Response]:
        """Refuses at the handshake what is not a stream of a known tenant."""
        url = urlsplit(request.path)
        if url.path != PATH:
            return connection.respond(HTTPStatus.NOT_FOUND, f"the streaming endpoint is {PATH}\n")
        credential = request.headers.get("Authorization") or dict(parse_qsl(url.query)).get("token")
        try:
            tenant = await asyncio.to_thread(self._access.tenant, credential)
        except Exception as e:  # any refusal: no key, a wrong one, an expired token
            return connection.respond(HTTPStatus.UNAUTHORIZED, f"{getattr(e, 'message', 'Not Authorized')}\n")
        connection.tenant = tenant  # type: ignore[attr-defined]
        return None

    async def handle(self, connection: ServerConnection) -> None:
        if self.sessions >= self.max_streams:
            self.refused += 1
            logger.warning("stream refused: %d of %d streams open", self.sessions, self.max_streams)
            await connection.close(protocol.TOO_MANY_SESSIONS, "Unauthorized Connection: Too many concurrent sessions")
            return
        self.sessions += 1
        try:
            await self._session(connection)
        except ProtocolError as e:
            logger.info("stream closed: %s (%d)", e.reason, e.code)
            await connection.close(e.code, e.reason)
        except ConnectionClosed:
            logger.info("client went away mid-stream")
        except Exception:
            logger.exception("stream failed")
            await connection.close(protocol.SERVER_ERROR, "Server error")
        finally:
            self.sessions -= 1

    async def _session(self, connection: ServerConnection) -> None:
        started = time.monotonic()
        query = dict(parse_qsl(urlsplit(connection.request.path).query)) if connection.request else {}
        params = SessionParams.from_query(query)
        artifact = None
        if params.custom_model_id:
            try:
                artifact = await asyncio.to_thread(self._access.model, connection.tenant, params.custom_model_id)  # type: ignore[attr-defined]
            except Exception as e:
                raise ProtocolError(protocol.INPUT_INVALID, getattr(e, "message", str(e))) from e
        engine = await asyncio.to_thread(self._engines.get, params.base_model)
        adapted = await asyncio.to_thread(self._adapted.for_model, engine, artifact)
        transcribe, partial, early = self._transcribers(
            engine, params.language_detection, artifact, lambda: tracker.settings, adapted
        )
        settings = TurnSettings.model_validate(params.model_dump())
        tracker = TurnTracker(settings, transcribe, partial, report_language=params.language_detection, early=early)
        decoder = PcmDecoder(params.encoding, params.sample_rate)
        expires = int(time.time()) + SESSION_HOURS * 3600
        await connection.send(json.dumps(protocol.begin(str(uuid.uuid4()), expires)))
        queue: asyncio.Queue[Any] = asyncio.Queue()
        reader = asyncio.create_task(self._read(connection, decoder, params.inactivity_timeout, queue))
        try:
            await self._process(connection, tracker, queue)
        finally:
            reader.cancel()
        await connection.send(json.dumps(protocol.termination(tracker.audio_seconds, time.monotonic() - started)))
        await connection.close(protocol.NORMAL, "")

    def _transcribers(
        self,
        engine: Engine,
        detect: bool,
        artifact: Optional[Artifact],
        settings: Callable[[], TurnSettings],
        adapted: Optional[Engine] = None,
    ) -> tuple[
        Callable[[np.ndarray], TranscriptionResult],
        Callable[[np.ndarray], Optional[TranscriptionResult]],
        Callable[[np.ndarray], Optional[TranscriptionResult]],
    ]:
        """(end-of-turn decode; partial decode, greedy, dropped when the engine is wanted for
        an end of turn; the end-of-turn decode started early in a pause), all through the
        process's `scheduler`, which batches them across streams.

        With `detect`, each final turn's language is detected on its audio, and partials decode
        in the language of the session's last final turn (English before the first one)."""
        language = ["en", 1.0]

        def run(samples: np.ndarray, beam_size: Optional[int]) -> TranscriptionResult:
            request = RequestOptions(keyterms_prompt=tuple(settings().keyterms_prompt))
            final = beam_size is None
            if detect and final:
                language[:] = engine.detect_language(samples)
            speaking = engine.speaking(str(language[0]))
            # Partials (greedy) decode once; a final turn gets the custom model's second pass.
            result = transcribe(speaking, samples, artifact, request, beam_size, two_pass=final, adapted=adapted)
            return replace(result, language_confidence=float(language[1])) if detect else result

        def decoder(urgency: Urgency, beam_size: Optional[int]) -> Callable[[np.ndarray], Optional[TranscriptionResult]]:
            def decode(samples: np.ndarray) -> Optional[TranscriptionResult]:
                if artifact is None and not settings().keyterms_prompt and not detect:
                    # Plain decodes share a batch with other streams'.
                    speaking = engine.speaking(str(language[0]))
                    return self.scheduler.decode(urgency, speaking, samples, DecodeOptions(beam_size=beam_size))
                return self.scheduler.decode(urgency, engine, samples, alone=lambda: run(samples, beam_size))

            return decode

        partial, early, final = decoder(Urgency.PARTIAL, 1), decoder(Urgency.EARLY, None), decoder(Urgency.FINAL, None)

        def ended(samples: np.ndarray) -> TranscriptionResult:
            result = final(samples)
            assert result is not None  # only partials are ever dropped
            return result

        # Partials greedy: a partial is replaced within a second, and half the decode time
        # leaves the engine to other streams' end-of-turn decodes.
        return ended, partial, early

    async def _read(self, connection: ServerConnection, decoder: PcmDecoder, idle_s: int, queue: asyncio.Queue[Any]) -> None:
        """Frames in, as samples or control messages; an error is queued for the processor."""
        try:
            while True:
                try:
                    message = await asyncio.wait_for(connection.recv(), timeout=idle_s)
                except TimeoutError:
                    raise ProtocolError(protocol.IDLE, f"no audio or message for {idle_s} s") from None
                if isinstance(message, bytes):
                    await queue.put(decoder.decode(message))
                else:
                    parsed = protocol.parse_message(message)
                    await queue.put(parsed)
                    if parsed["type"] == "Terminate":
                        return
        except (ProtocolError, ConnectionClosed) as e:
            await queue.put(e)

    async def _process(self, connection: ServerConnection, tracker: TurnTracker, queue: asyncio.Queue[Any]) -> None:
        while True:
            items = [await queue.get()]
            while not queue.empty():
                items.append(queue.get_nowait())
            audio: list[np.ndarray] = []
            for item in items + [None]:  # None: flush the audio gathered so far
                if isinstance(item, np.ndarray):
                    audio.append(item)
                    continue
                if audio:
                    samples = np.concatenate(audio)
                    audio = []
                    if len(samples) > MAX_BACKLOG_S * 16_000:
                        raise ProtocolError(protocol.TOO_FAST, "audio arrives faster than it can be transcribed")
                    await self._send(connection, await self._in_worker(tracker.feed, samples))
                if item is None:
                    continue
                if isinstance(item, BaseException):
                    if isinstance(item, ConnectionClosed):
                        raise item
                    await self._send(connection, await self._in_worker(tracker.finish))
                    raise item
                kind = item["type"]
                if kind == "Terminate":
                    await self._send(connection, await self._in_worker(tracker.finish))
                    return
                if kind == "ForceEndpoint":
                    await self._send(connection, await self._in_worker(tracker.force_endpoint))
                elif kind == "UpdateConfiguration":
                    tracker.settings = _updated(tracker.settings, item)

    async def _in_worker(self, function: Callable[..., list[dict[str, Any]]], *args: Any) -> list[dict[str, Any]]:
        return await asyncio.get_running_loop().run_in_executor(self._workers, function, *args)

    @staticmethod
    async def _send(connection: ServerConnection, events: list[dict[str, Any]]) -> None:
        for event in events:
            await connection.send(json.dumps(event))


def _updated(settings: TurnSettings, message: dict[str, Any]) -> TurnSettings:
    changes = {k: v for k, v in message.items() if k != "type" and v is not None}
    try:
        return TurnSettings.model_validate({**settings.model_dump(), **changes})
    except Exception as e:
        raise ProtocolError(protocol.INVALID_SCHEMA, f"UpdateConfiguration: {e}") from e


async def start(service: StreamingService, host: str, port: int) -> Server:
    server = await serve(
        service.handle, host, port, process_request=service.authorize, max_size=MAX_FRAME_BYTES, ping_interval=20
    )
    service.reporter = asyncio.get_running_loop().create_task(metrics.report_forever(service))
    return server


class BackgroundServer:
    """The service on its own event loop in a daemon thread (the local stack's way to run it)."""

    def __init__(self, service: StreamingService, host: str, port: int) -> None:
        self.service = service
        self._loop = asyncio.new_event_loop()
        self._server: Optional[Server] = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="streaming", daemon=True)
        self._host, self._port = host, port

    def start(self) -> "BackgroundServer":
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(start(self.service, self._host, self._port), self._loop).result(30)
        return self

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(next(iter(self._server.sockets)).getsockname()[1])

    def stop(self) -> None:
        if self.service.reporter is not None:
            self._loop.call_soon_threadsafe(self.service.reporter.cancel)
        if self._server is not None:
            self._server.close()
            asyncio.run_coroutine_threadsafe(self._server.wait_closed(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        if not self._loop.is_running():
            self._loop.close()
        self.service.close()
