"""The inference container's entrypoint: `python -m sagemaker_jobs.inference.serve`.

SageMaker's contract: GET /ping answers 200 when the container is ready (the model is loaded
before the port opens, so as soon as it answers), POST /invocations does the work. An
invocation carries one audio file, either

- as the body, with an `audio/*` or `video/*` content type or `application/octet-stream`, or
- as `application/json`, an `InferenceRequest` (`hark_core.inference`): the audio's s3:// URI and
  the job's typed options.

It answers 200 with an `InferenceResult`, or an `InferenceError` (`{"error": "..."}`) with a 4xx status for
input it cannot transcribe, and 5xx only when Hark or S3 fails. This module is the container's
only I/O (HTTP, S3, environment); the work is done by the pure `sagemaker_jobs.asr` modules.
"""

import argparse
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import boto3
import numpy as np
from botocore.client import BaseClient
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from hark_core.errors import describe
from hark_core.inference import InferenceRequest
from hark_core.options import JobOptions, SpeakerOptions
from hark_core.s3_uri import S3Uri
from sagemaker_jobs.asr import audio, pii, speech_models
from sagemaker_jobs.asr.custom.adapted import AdaptedEngines
from sagemaker_jobs.asr.custom.apply import correct, transcribe
from sagemaker_jobs.asr.custom.artifact import Artifact
from sagemaker_jobs.asr.custom.request import RequestOptions
from sagemaker_jobs.asr.diarize import MAX_SPEAKERS, assign_speakers
from sagemaker_jobs.asr.engine import DecodeOptions, Engine, EngineSettings
from sagemaker_jobs.asr.engines import SpeechEngines, UnknownSpeechModel
from sagemaker_jobs.asr.errors import AsrError
from sagemaker_jobs.asr.layout import one_decode_per_core
from sagemaker_jobs.asr.result import TranscriptionResult, mean_confidence
from sagemaker_jobs.env import int_from_env
from sagemaker_jobs.inference.batching import BatchQueue, Turn
from sagemaker_jobs.inference.model_cache import ModelCache

logger = logging.getLogger("hark.inference")

DEFAULT_HOST = "0.0.0.0"
DEFAULT_PORT = 8080
# SageMaker asynchronous inference accepts payloads of up to 1 GB, so nothing larger can
# legitimately arrive; refusing it before reading keeps a bad client from exhausting memory.
DEFAULT_MAX_INVOCATION_BYTES = 1 << 30
# A body without a content type is taken as raw audio: PyAV recognises the format by itself.
_DEFAULT_CONTENT_TYPE = "application/octet-stream"
_RAW_AUDIO_TYPES = frozenset({"application/octet-stream", "application/ogg"})
_RAW_AUDIO_PREFIXES = ("audio/", "video/")
_MISSING_S3_CODES = frozenset({"NoSuchKey", "NoSuchBucket", "404"})


@dataclass(frozen=True)
class BatchSettings:
    """How the container batches (see `batching` and `sagemaker_jobs.asr.batch`)."""

    size: int = 8
    """Windows per CTranslate2 batch (HARK_BATCH_SIZE); 1 turns batching off."""
    max_wait_ms: int = 0
    """How long a lone short request waits for others (HARK_BATCH_WAIT_MS)."""
    max_audio_s: int = 30
    """Requests up to this long go into the cross-request batch (HARK_BATCH_MAX_AUDIO_S)."""
    long_audio_lanes: bool = False
    """Longer recordings decoded as parallel lanes (HARK_LONG_AUDIO_LANES=1): faster, a little
    less accurate on continuous speech, so off by default (measurements in the README)."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "BatchSettings":
        return cls(
            size=int_from_env(environ, "HARK_BATCH_SIZE", cls.size),
            max_wait_ms=int_from_env(environ, "HARK_BATCH_WAIT_MS", cls.max_wait_ms),
            max_audio_s=int_from_env(environ, "HARK_BATCH_MAX_AUDIO_S", cls.max_audio_s),
            long_audio_lanes=environ.get("HARK_LONG_AUDIO_LANES", "") in ("1", "true"),
        )


@dataclass(frozen=True)
class ServeSettings:
    engine: EngineSettings
    port: int
    max_invocation_bytes: int
    log_level: str = "INFO"
    batch: BatchSettings = BatchSettings()

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "ServeSettings":
        return cls(
            engine=EngineSettings.from_env(environ),
            port=int_from_env(environ, "SAGEMAKER_BIND_TO_PORT", DEFAULT_PORT),
            max_invocation_bytes=int_from_env(environ, "HARK_MAX_INVOCATION_BYTES", DEFAULT_MAX_INVOCATION_BYTES),
            log_level=environ.get("HARK_LOG_LEVEL", "INFO").upper(),
            batch=BatchSettings.from_env(environ),
        )


class HttpError(Exception):
    """A request the container refuses; the message is shown to the caller."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


class Transcriber:
    """What an invocation does once its body is read: fetch the audio, decode it, transcribe it."""

    def __init__(
        self,
        engines: SpeechEngines,
        s3: BaseClient,
        max_audio_bytes: int,
        batch: BatchSettings = BatchSettings(),
    ) -> None:
        self._engines = engines
        self._s3 = s3
        self._models = ModelCache(s3)
        self._adapted = AdaptedEngines()  # (loaded under the engine lock, where it decodes)
        self._pii = pii.Finder()
        self._max_audio_bytes = max_audio_bytes
        # As many decodes at a time as the engine runs side by side (`EngineSettings.workers`,
        # one by default), whichever model: concurrent requests beyond that never decode side
        # by side (threads fighting over the cores); short ones to the default model share a
        # batch instead (`BatchQueue`).
        self._engine_lock = threading.BoundedSemaphore(max(1, engines.default.settings.workers))
        self._batch = batch
        self._queue = (
            BatchQueue(
                self._engines.default,
                self._engine_lock,
                batch.size,
                batch.max_wait_ms / 1000,
                workers=engines.default.settings.workers,
            )
            if batch.size > 1
            else None
        )

    def invoke(self, media_type: str, body: bytes) -> TranscriptionResult:
        if media_type == "application/json":
            request = _parse_json_request(body)
            data = self._read_s3_object(request.audio_uri)
        else:
            request, data = InferenceRequest(audio_uri=""), body
        options = request.options
        turn = Turn(request.tenant_id, request.first_of_tenant)
        hints = RequestOptions.of(options)
        engine = self._engine_for(options.base_model)
        detect = options.language_detection is True
        if detect and not engine.multilingual:
            raise HttpError(
                HTTPStatus.BAD_REQUEST,
                f"language_detection needs a multilingual model; {engine.settings.model_name} is English-only",
            )
        model = self._custom_model(options.custom_model_uri)
        # Decoding runs outside the lock: it is per request and overlaps with another
        # request's transcription.
        channels = audio.decode_channels(data) if options.multichannel else [audio.decode(data)]
        ranged = [_audio_range(c, options.audio_start_from, options.audio_end_at) for c in channels]
        samples, offset_ms = ranged[0]
        _check_length(samples, options.max_audio_s)
        if options.speech_threshold is not None:  # on the channels mixed, as the file plays
            _check_speech(np.mean([part for part, _ in ranged], axis=0), options.speech_threshold)
        language, language_confidence = options.language or "en", 1.0
        if detect:
            with self._engine_lock:
                language, language_confidence = engine.detect_language(samples)
            _check_language(language, language_confidence, options.language_confidence_threshold)
        speaking = engine.speaking(language)
        started = time.perf_counter()
        if options.multichannel:
            # Word times put in order per channel, before the channels are merged: speaker labels
            # and bleeps read them (`TranscriptionResult.ordered`).
            heard = [self._decode(speaking, part, model, hints, turn).ordered() for part, _ in ranged]
            result = _shifted(_by_channel(heard), offset_ms, len(channels[0]))
        else:
            heard_one = self._decode(speaking, samples, model, hints, turn).ordered()
            result = _shifted(heard_one, offset_ms, len(channels[0]))
        if detect:
            result = replace(result, language_confidence=round(language_confidence, 4))
        logger.info("transcribed %.1f s of audio in %.2f s", result.audio_duration_s, time.perf_counter() - started)
        if options.speaker_labels:
            with self._engine_lock:  # the speaker encoder wants the cores too
                started = time.perf_counter()
                result = with_speakers(result, samples, options.speakers_expected, options.speaker_options)
                logger.info("diarized in %.2f s", time.perf_counter() - started)
        if options.entity_detection or options.redact_pii:
            heard_audio = channels[0] if len(channels) == 1 else np.mean(channels, axis=0)
            result = self._personal_data(result, heard_audio, options, request.redacted_audio_uri)
        return result

    def _personal_data(
        self, result: TranscriptionResult, samples: np.ndarray, options: JobOptions, redacted_uri: str | None
    ) -> TranscriptionResult:
        """AssemblyAI's entity_detection (what was found, unredacted) and redact_pii (the words
        replaced; with redact_pii_audio, the audio bleeped where they were said)."""
        started = time.perf_counter()
        entities = self._pii.find(result.words)
        if options.redact_pii:
            policies = options.pii_policies
            chosen = pii.select(entities, policies)
            words = pii.redact(result.words, chosen, policies, options.redact_pii_sub or "hash")
            result = replace(result, words=tuple(words), text=" ".join(w.text for w in words))
            if redacted_uri:
                audio_options = options.redact_pii_audio_options
                silence = audio_options is not None and audio_options.override_audio_redaction_method == "silence"
                quality = options.redact_pii_audio_quality or "mp3"
                bleeped = pii.bleeped(samples, chosen, audio.SAMPLE_RATE, silence=silence)
                content_type = "audio/mpeg" if quality == "mp3" else "audio/wav"
                self._write_s3_object(redacted_uri, audio.encode(bleeped, quality), content_type)
        if options.entity_detection:
            result = replace(result, entities=tuple(entities))
        logger.info("found %d entities in %.2f s", len(entities), time.perf_counter() - started)
        return result

    def _write_s3_object(self, uri: str, data: bytes, content_type: str) -> None:
        bucket, key = _parse_s3_uri(uri)
        self._s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type)

    def _engine_for(self, name: str | None) -> Engine:
        """The engine of the request's base model (`base_model`, chosen by the API), else the default."""
        try:
            return self._engines.get(name)
        except UnknownSpeechModel:
            offered = ", ".join(speech_models.NAMES)
            raise HttpError(HTTPStatus.BAD_REQUEST, f"speech model {name!r} is not served here ({offered})") from None

    def _decode(
        self,
        engine: Engine,
        samples: np.ndarray,
        model: Artifact | None,
        request: RequestOptions,
        turn: Turn = Turn(),
    ) -> TranscriptionResult:
        """Plain requests to the default model are batched: short ones with other requests, long
        ones as lanes when configured. Custom models and per-request phrases take the two-pass
        path, alone, as does the multilingual model (its batches would need one language)."""
        plain = model is None and not request.biasing and not engine.multilingual
        seconds = len(samples) / audio.SAMPLE_RATE
        # A batch decodes at temperature 0 with its own fallback: a chosen temperature decodes alone.
        if plain and request.temperature is None and self._queue is not None and seconds <= self._batch.max_audio_s:
            decoded = self._queue.transcribe(samples, DecodeOptions(initial_prompt=request.prompt), turn)
            return correct(decoded, None, request)
        with self._engine_lock:
            if plain and request.temperature is None and self._batch.long_audio_lanes and self._batch.size > 1:
                return correct(engine.transcribe_lanes(samples, lanes=self._batch.size), None, request)
            return transcribe(engine, samples, model, request, adapted=self._adapted.for_model(engine, model))

    def _custom_model(self, uri: str | None) -> Artifact | None:
        if uri is None:
            return None
        _parse_s3_uri(uri)
        try:
            return self._models.get(uri)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code", "") in _MISSING_S3_CODES:
                raise HttpError(HTTPStatus.NOT_FOUND, "the custom model no longer exists (was it deleted?)") from error
            raise HttpError(HTTPStatus.BAD_GATEWAY, f"could not read the custom model: {error}") from error

    def _read_s3_object(self, uri: str) -> bytes:
        bucket, key = _parse_s3_uri(uri)
        try:
            response = self._s3.get_object(Bucket=bucket, Key=key)
            with closing(response["Body"]) as stream:
                if response["ContentLength"] > self._max_audio_bytes:
                    raise HttpError(
                        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                        f"{uri} is larger than {self._max_audio_bytes} bytes",
                    )
                return stream.read()
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in _MISSING_S3_CODES:
                raise HttpError(HTTPStatus.NOT_FOUND, f"{uri} does not exist") from error
            raise HttpError(HTTPStatus.BAD_GATEWAY, f"could not read {uri}: {code}") from error
        except BotoCoreError as error:
            raise HttpError(HTTPStatus.BAD_GATEWAY, f"could not read {uri}: {error}") from error


def _audio_range(samples: np.ndarray, start_ms: int | None, end_ms: int | None) -> tuple[np.ndarray, int]:
    """The part of the audio between `audio_start_from` and `audio_end_at` (milliseconds), and
    where it starts; the whole audio when neither is given."""
    duration_ms = len(samples) * 1000 // audio.SAMPLE_RATE
    start = start_ms or 0
    end = duration_ms if end_ms is None else min(end_ms, duration_ms)
    if start >= duration_ms:
        raise HttpError(
            HTTPStatus.BAD_REQUEST,
            f"audio_start_from ({start} ms) is at or past the end of the audio ({duration_ms} ms)",
        )
    if end <= start:
        raise HttpError(HTTPStatus.BAD_REQUEST, "audio_end_at must be after audio_start_from")
    return samples[start * audio.SAMPLE_RATE // 1000 : end * audio.SAMPLE_RATE // 1000], start


def _by_channel(results: list[TranscriptionResult]) -> TranscriptionResult:
    """One result from each channel's, as AssemblyAI returns multichannel audio: every word with
    its `channel` ("1", "2", ...; also its speaker, so utterances are the channels' turns), all
    words in time order, and `audio_channels`."""
    words = sorted(
        (replace(w, channel=str(number), speaker=str(number)) for number, r in enumerate(results, 1) for w in r.words),
        key=lambda w: (w.start, w.channel),
    )
    return replace(
        results[0],
        text=" ".join(w.text for w in words),
        words=tuple(words),
        confidence=mean_confidence(words),
        audio_channels=len(results),
    )


def _shifted(result: TranscriptionResult, offset_ms: int, whole_samples: int) -> TranscriptionResult:
    """Timestamps relative to the whole file, and the whole file's duration, as AssemblyAI
    reports a transcript of part of a file."""
    if not offset_ms and result.audio_duration_s == round(whole_samples / audio.SAMPLE_RATE, 3):
        return result  # the whole file
    words = tuple(replace(w, start=w.start + offset_ms, end=w.end + offset_ms) for w in result.words)
    return replace(result, words=words, audio_duration_s=round(whole_samples / audio.SAMPLE_RATE, 3))


def _check_speech(samples: np.ndarray, threshold: float) -> None:
    """AssemblyAI's `speech_threshold`: audio with less speech than that share is refused."""
    found = audio.speech_fraction(samples)
    if found < threshold:
        raise HttpError(
            HTTPStatus.BAD_REQUEST,
            f"the audio has too little speech: {found:.2f} of it is speech, below the speech_threshold of {threshold:g}",
        )


def _check_language(language: str, confidence: float, threshold: float | None) -> None:
    """AssemblyAI's `language_confidence_threshold`: a language detected with less confidence
    than that ends the job in error rather than in a transcript of the wrong language."""
    if threshold is not None and confidence < threshold:
        raise HttpError(
            HTTPStatus.BAD_REQUEST,
            f"detected language {language!r} with confidence {confidence:.2f}, below the"
            f" language_confidence_threshold of {threshold:g}",
        )


def _check_length(samples: np.ndarray, max_audio_s: float | None) -> None:
    if max_audio_s is None:
        return
    seconds = len(samples) / audio.SAMPLE_RATE
    if seconds > max_audio_s:
        raise HttpError(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            f"the audio is {seconds:.1f} s long; this endpoint takes up to {max_audio_s:g} s: use POST /v2/transcript",
        )


def with_speakers(
    result: TranscriptionResult,
    samples: np.ndarray,
    speakers_expected: int | None,
    speaker_options: SpeakerOptions | None = None,
) -> TranscriptionResult:
    """The result with a speaker ("A", "B", ...) on every word."""
    labels = assign_speakers(samples, result.words, speakers_expected, _speaker_range(speaker_options))
    return replace(result, words=tuple(replace(w, speaker=s) for w, s in zip(result.words, labels)))


def _speaker_range(options: SpeakerOptions | None) -> tuple[int, int] | None:
    """AssemblyAI's speaker_options as (min, max); a missing maximum is the diarizer's own
    (MAX_SPEAKERS), or the minimum if that is higher."""
    if options is None:
        return None
    low, high = options.range
    return low, high or max(low, MAX_SPEAKERS)


def _media_type(content_type: str | None) -> str:
    """The media type of a Content-Type header, lower case and without parameters."""
    return (content_type or _DEFAULT_CONTENT_TYPE).split(";", 1)[0].strip().lower()


def _require_supported(media_type: str) -> None:
    if media_type == "application/json" or media_type in _RAW_AUDIO_TYPES:
        return
    if media_type.startswith(_RAW_AUDIO_PREFIXES):
        return
    raise HttpError(
        HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
        f"unsupported content type {media_type!r}: send audio bytes (audio/*, video/*, "
        "application/octet-stream) or application/json with an audio_uri",
    )


def _parse_json_request(body: bytes) -> InferenceRequest:
    try:
        request = InferenceRequest.model_validate_json(body)
    except ValidationError as error:
        raise HttpError(HTTPStatus.BAD_REQUEST, f"not an inference request: {describe(error)}") from None
    _parse_s3_uri(request.audio_uri)
    if request.redacted_audio_uri is not None:
        _parse_s3_uri(request.redacted_audio_uri)
    return request


def _parse_s3_uri(uri: str) -> tuple[str, str]:
    try:
        parsed = S3Uri.parse(uri)
    except ValueError:
        parsed = S3Uri("", "")
    if not parsed.bucket or not parsed.key:
        raise HttpError(HTTPStatus.BAD_REQUEST, f"'audio_uri' must look like s3://bucket/key, got {uri!r}")
    return parsed.bucket, parsed.key


class _Server(ThreadingHTTPServer):
    # socketserver's default backlog is 5: with the endpoint's 8 concurrent invocations arriving
    # at once, the kernel resets the connections beyond it (seen as "connection reset by peer").
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], transcriber: Transcriber, max_body_bytes: int) -> None:
        super().__init__(address, _Handler)
        self.transcriber = transcriber
        self.max_body_bytes = max_body_bytes


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    # Keep-alive lets a caller reuse its connection; error responses close it instead,
    # because their request body may not have been read.
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if urlsplit(self.path).path == "/ping":
            self._send(HTTPStatus.OK, {"status": "ok"})
        else:
            self._send_not_found()

    def do_POST(self) -> None:
        if urlsplit(self.path).path == "/invocations":
            self._send(*self._invoke())
        else:
            self._send_not_found()

    def _invoke(self) -> tuple[HTTPStatus, dict[str, Any]]:
        """Runs one invocation; the one place where errors become HTTP responses."""
        try:
            media_type = _media_type(self.headers.get("Content-Type"))
            _require_supported(media_type)
            result = self.server.transcriber.invoke(media_type, self._read_body())
            return HTTPStatus.OK, result.to_contract().model_dump(mode="json", exclude_none=True)
        except HttpError as error:
            return error.status, {"error": str(error)}
        except AsrError as error:
            return HTTPStatus.BAD_REQUEST, {"error": str(error)}
        except Exception as error:
            # A bug: the trace goes to the log, never into the response.
            logger.exception("invocation failed")
            return HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"internal error: {type(error).__name__}"}

    def _read_body(self) -> bytes:
        length_header = self.headers.get("Content-Length")
        if length_header is None:
            raise HttpError(HTTPStatus.LENGTH_REQUIRED, "a Content-Length header is required")
        try:
            length = int(length_header)
        except ValueError:
            length = -1
        if length < 0:
            raise HttpError(HTTPStatus.BAD_REQUEST, "invalid Content-Length header")
        if length > self.server.max_body_bytes:
            raise HttpError(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                f"the request body is larger than {self.server.max_body_bytes} bytes",
            )
        body = self.rfile.read(length)
        if len(body) != length:
            raise HttpError(HTTPStatus.BAD_REQUEST, "the request body ended early")
        return body

    def _send_not_found(self) -> None:
        self._send(HTTPStatus.NOT_FOUND, {"error": f"no such path: {self.path}"})

    def _send(self, status: HTTPStatus, payload: Mapping[str, Any]) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if status >= HTTPStatus.BAD_REQUEST:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # SageMaker pings every few seconds; logging each would bury the invocations.
        if urlsplit(self.path).path != "/ping":
            super().log_request(code, size)

    def log_message(self, format: str, *args: Any) -> None:
        logger.info("%s %s", self.address_string(), format % args)


def _parse_args(argv: Sequence[str] | None, default_port: int) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Hark's SageMaker inference server.")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=default_port)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    environ = one_decode_per_core(os.environ)
    settings = ServeSettings.from_env(environ)
    logging.basicConfig(
        level=settings.log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    args = _parse_args(argv, settings.port)
    # Loaded before the port opens, so the first /ping that answers means "ready".
    engines = SpeechEngines(Engine(settings.engine), environ)
    logger.info(
        "decoding %d at a time, on %s thread(s) each",
        settings.engine.workers,
        settings.engine.cpu_threads or "CTranslate2's default",
    )
    transcriber = Transcriber(engines, boto3.client("s3"), settings.max_invocation_bytes, settings.batch)
    with _Server((args.host, args.port), transcriber, settings.max_invocation_bytes) as server:
        logger.info("listening on %s:%d", args.host, server.server_address[1])
        server.serve_forever()


if __name__ == "__main__":
    main()
