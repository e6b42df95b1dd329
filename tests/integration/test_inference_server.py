"""The inference container's entrypoint, run as SageMaker runs it: a process serving HTTP.

S3 is an in-process moto server; the engine is the real one with the bundled tiny.en.
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import boto3
import httpx
import numpy as np
import pytest
from botocore.client import BaseClient
from moto.server import ThreadedMotoServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

REPO_ROOT = Path(__file__).resolve().parents[2]
BUCKET = "hark-media"
# Small enough that a test object can exceed it, large enough for every fixture.
MAX_INVOCATION_BYTES = 300_000
LIBRISPEECH = [
    "ls_1089-134686-0000.flac",
    "ls_1089-134686-0002.flac",
    "ls_2412-153948-0000.flac",
]


@dataclass(frozen=True)
class RunningServer:
    client: httpx.Client
    log: Path

    def log_text(self) -> str:
        return self.log.read_text()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = _free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    yield f"http://127.0.0.1:{port}"
    moto.stop()


@pytest.fixture(scope="module")
def s3_env(s3_endpoint: str) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": s3_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }


@pytest.fixture(scope="module")
def s3(s3_env: dict[str, str]) -> BaseClient:
    """A client of the moto S3 that the server reads from, with BUCKET created."""
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_env["AWS_ENDPOINT_URL"],
        aws_access_key_id=s3_env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=s3_env["AWS_SECRET_ACCESS_KEY"],
        region_name=s3_env["AWS_DEFAULT_REGION"],
    )
    s3.create_bucket(Bucket=BUCKET)
    return s3


@pytest.fixture(scope="module")
def server(s3_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    port = _free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    env = {
        **os.environ,
        **s3_env,
        "PYTHONPATH": str(REPO_ROOT),
        "HARK_MAX_INVOCATION_BYTES": str(MAX_INVOCATION_BYTES),
    }
    # The engine under test is the default one, whatever the developer's shell has set.
    for name in ("HARK_MODEL_DIR", "HARK_MODEL_NAME", "HARK_DEVICE", "HARK_COMPUTE_TYPE", "HARK_CPU_THREADS", "HARK_ENGINE_WORKERS"):
        env.pop(name, None)
    with log.open("w") as log_file:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sagemaker_jobs.inference.serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
    try:
        _wait_until_ready(client, process, log)
        yield RunningServer(client=client, log=log)
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=10)


def _wait_until_ready(client: httpx.Client, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            if client.get("/ping").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"serve did not answer /ping in time:\n{log.read_text()}")


def _post_audio(server: RunningServer, data: bytes, content_type: str) -> httpx.Response:
    return server.client.post("/invocations", content=data, headers={"Content-Type": content_type})


def _post_json(server: RunningServer, body: object) -> httpx.Response:
    return server.client.post("/invocations", json=body)


def test_ping_answers_once_the_model_is_loaded(server: RunningServer) -> None:
    response = server.client.get("/ping")

    assert response.status_code == 200
    assert "loading speech model" in server.log_text()


def test_transcribes_raw_audio(
    server: RunningServer,
    audio_dir: Path,
    references: dict[str, str],
    word_error_rate: Callable[[list[str], list[str]], float],
) -> None:
    bodies = []
    for name in LIBRISPEECH:
        response = _post_audio(server, (audio_dir / name).read_bytes(), "audio/flac")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        bodies.append(response.json())

    wer = word_error_rate([references[name] for name in LIBRISPEECH], [b["text"] for b in bodies])
    assert wer < 0.2, [b["text"] for b in bodies]
    for body in bodies:
        assert body["language_code"] == "en_us"
        assert body["model"] == "whisper-tiny.en"
        assert body["audio_duration"] > 5
        assert 0.5 < body["confidence"] <= 1.0
        starts = [word["start"] for word in body["words"]]
        assert starts == sorted(starts)
        for word in body["words"]:
            assert 0 <= word["start"] <= word["end"] <= body["audio_duration"] * 1000
            assert 0.0 <= word["confidence"] <= 1.0


def test_takes_any_audio_content_type(server: RunningServer, audio_dir: Path) -> None:
    data = (audio_dir / "speech.m4a").read_bytes()

    for content_type in ("audio/mp4", "video/mp4", "application/octet-stream"):
        response = _post_audio(server, data, content_type)
        assert response.status_code == 200, response.text
        assert "quickly" in response.json()["text"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("corrupt.flac", "the file could not be decoded as audio"),
        ("not_audio.txt", "the file could not be decoded as audio"),
        ("empty.wav", "the audio file contains no audio"),
        ("silence.wav", "the audio file contains no audio"),
    ],
)
def test_refuses_what_is_not_audio_with_a_clear_error(
    server: RunningServer, audio_dir: Path, name: str, message: str
) -> None:
    response = _post_audio(server, (audio_dir / name).read_bytes(), "application/octet-stream")

    assert response.status_code == 400
    assert response.json()["error"].startswith(message)


def test_refuses_an_unsupported_content_type(server: RunningServer) -> None:
    response = _post_audio(server, b"hello", "text/plain")

    assert response.status_code == 415
    assert "text/plain" in response.json()["error"]


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", b'{"options": {}}', b'{"audio_uri": "https://example.com/a.wav"}'],
)
def test_refuses_a_bad_json_request(server: RunningServer, body: bytes) -> None:
    response = _post_audio(server, body, "application/json")

    assert response.status_code == 400
    assert response.json()["error"]


def test_transcribes_audio_named_by_an_s3_uri(server: RunningServer, s3: BaseClient, audio_dir: Path) -> None:
    s3.put_object(Bucket=BUCKET, Key="tenant/a.flac", Body=(audio_dir / LIBRISPEECH[1]).read_bytes())

    response = _post_json(
        server,
        {"audio_uri": f"s3://{BUCKET}/tenant/a.flac", "options": {"speaker_labels": False}},
    )

    assert response.status_code == 200, response.text
    assert response.json()["text"].startswith("After early nightfall")


def test_an_option_the_container_does_not_know_is_refused_by_name(server: RunningServer) -> None:
    # The contract is shared (hark_core.options.JobOptions): a container older than the API
    # refuses a new option instead of silently transcribing without it.
    response = _post_json(server, {"audio_uri": f"s3://{BUCKET}/tenant/a.flac", "options": {"future_option": True}})

    assert response.status_code == 400
    assert "options.future_option" in response.json()["error"]


@pytest.mark.parametrize("uri", [f"s3://{BUCKET}/no/such/key.wav", "s3://no-such-bucket/a.wav"])
def test_a_missing_s3_object_is_not_found(server: RunningServer, s3: BaseClient, uri: str) -> None:
    response = _post_json(server, {"audio_uri": uri})

    assert response.status_code == 404
    assert uri in response.json()["error"]


def test_refuses_a_body_over_the_size_limit(server: RunningServer) -> None:
    response = _post_audio(server, b"\0" * (MAX_INVOCATION_BYTES + 1), "audio/wav")

    assert response.status_code == 413


def test_refuses_an_s3_object_over_the_size_limit(server: RunningServer, s3: BaseClient) -> None:
    s3.put_object(Bucket=BUCKET, Key="big.wav", Body=b"\0" * (MAX_INVOCATION_BYTES + 1))

    response = _post_json(server, {"audio_uri": f"s3://{BUCKET}/big.wav"})

    assert response.status_code == 413


def test_serves_concurrent_requests_with_the_one_model(server: RunningServer, audio_dir: Path) -> None:
    data = (audio_dir / "speech.mp3").read_bytes()

    with ThreadPoolExecutor(max_workers=3) as pool:
        responses = list(pool.map(lambda _: _post_audio(server, data, "audio/mpeg"), range(3)))

    assert [response.status_code for response in responses] == [200, 200, 200]
    assert len({response.json()["text"] for response in responses}) == 1
    assert server.log_text().count("loading speech model") == 1
    assert "decoded a batch of" in server.log_text()  # short plain requests go through the batch queue
    # On a CPU the container decodes one request per core side by side, each on one thread.
    assert f"decoding {len(os.sched_getaffinity(0))} at a time, on 1 thread(s) each" in server.log_text()


def test_transcribes_part_of_the_audio_with_the_files_timestamps(
    server: RunningServer, s3: BaseClient, audio_dir: Path
) -> None:
    # AssemblyAI's audio_start_from / audio_end_at (ms): only that part is transcribed, and the
    # words keep their times in the whole file.
    s3.put_object(Bucket=BUCKET, Key="part/speech.flac", Body=(audio_dir / "ls_2412-153948-0000.flac").read_bytes())
    whole = _post_json(server, {"audio_uri": f"s3://{BUCKET}/part/speech.flac"}).json()
    part = _post_json(
        server,
        {"audio_uri": f"s3://{BUCKET}/part/speech.flac", "options": {"audio_start_from": 4000, "audio_end_at": 8000}},
    ).json()

    assert part["audio_duration"] == whole["audio_duration"]
    assert part["words"] and all(3500 <= w["start"] and w["end"] <= 8500 for w in part["words"])
    assert len(part["words"]) < len(whole["words"])


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"audio_start_from": 60_000}, "past the end"),
        ({"audio_start_from": 5000, "audio_end_at": 4000}, "after audio_start_from"),
        ({"audio_start_from": "soon"}, "options.audio_start_from: Input should be a valid integer"),
        ({"prompt": 7}, "options.prompt: Input should be a valid string"),
    ],
)
def test_refuses_a_bad_range_or_prompt(server: RunningServer, s3: BaseClient, audio_dir: Path, options: dict, fragment: str) -> None:
    s3.put_object(Bucket=BUCKET, Key="part/short.flac", Body=(audio_dir / "ls_1089-134686-0002.flac").read_bytes())
    answer = _post_json(server, {"audio_uri": f"s3://{BUCKET}/part/short.flac", "options": options})
    assert answer.status_code == 400 and fragment in answer.json()["error"]


def test_a_prompt_reaches_the_decoder(server: RunningServer, s3: BaseClient, audio_dir: Path) -> None:
    s3.put_object(Bucket=BUCKET, Key="part/prompted.flac", Body=(audio_dir / "ls_1089-134686-0002.flac").read_bytes())
    plain = _post_json(server, {"audio_uri": f"s3://{BUCKET}/part/prompted.flac"}).json()["text"]
    # Whisper follows its prompt's style: after an unpunctuated prompt it leaves the commas out.
    prompted = _post_json(
        server,
        {"audio_uri": f"s3://{BUCKET}/part/prompted.flac", "options": {"prompt": "the narrator reads in lowercase without punctuation"}},
    ).json()["text"]
    assert "," in plain and "," not in prompted


def test_speech_threshold_refuses_audio_that_is_mostly_silence(
    server: RunningServer, s3: BaseClient, audio_dir: Path, tmp_path: Path
) -> None:
    from sagemaker_jobs.asr import audio
    from tests.conftest import wav_bytes

    speech = audio.decode((audio_dir / "ls_1089-134686-0002.flac").read_bytes())  # 6.6 s
    mostly_silence = np.concatenate([speech, np.zeros(16000 * 20, dtype=np.float32)])  # about a quarter speech
    wav, flac = tmp_path / "quiet.wav", tmp_path / "quiet.flac"  # FLAC: under the test server's size limit
    wav.write_bytes(wav_bytes(mostly_silence))
    subprocess.run(["ffmpeg", "-loglevel", "error", "-i", str(wav), str(flac)], check=True)
    s3.put_object(Bucket=BUCKET, Key="part/quiet.flac", Body=flac.read_bytes())
    uri = f"s3://{BUCKET}/part/quiet.flac"

    refused = _post_json(server, {"audio_uri": uri, "options": {"speech_threshold": 0.6}})
    accepted = _post_json(server, {"audio_uri": uri, "options": {"speech_threshold": 0.1}})

    assert refused.status_code == 400 and "too little speech" in refused.json()["error"], refused.text
    assert accepted.status_code == 200 and accepted.json()["words"]
