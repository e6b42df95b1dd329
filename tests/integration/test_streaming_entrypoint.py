"""The streaming image's entrypoint, started as ECS starts it, in a Python where Chalice cannot
be imported (the image installs requirements.txt and the streaming requirements, not Chalice):
one real WebSocket session against records in a moto server.

This is the test that catches the service dying at start because something on its import path
reaches `chalice` (it did: access.from_stack -> services.custom_models -> api.models -> api.http).
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest
from moto.server import ThreadedMotoServer
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from chalicelib.services.keys import KeyService
from chalicelib.storage.keys import KeysTable
from devstack.provision import Provisioner
from sagemaker_jobs.asr import audio
from tests.conftest import pcm16

if TYPE_CHECKING:
    import numpy as np

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]
ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
# Runs the entrypoint as `python -m hark_streaming` would, with `chalice` unimportable.
WITHOUT_CHALICE = (
    "import runpy, sys; sys.modules['chalice'] = None; "
    "runpy.run_module('hark_streaming', run_name='__main__', alter_sys=True)"
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def records() -> Iterator[tuple[dict[str, str], str]]:
    with provisioned_records() as provisioned:
        yield provisioned


@contextmanager
def provisioned_records() -> Iterator[tuple[dict[str, str], str]]:
    """A moto server with the stack's tables and buckets; yields the service's environment and an API key."""
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    env = {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }

    def client(service: str) -> object:
        return boto3.client(service, region_name=REGION, endpoint_url=env["AWS_ENDPOINT_URL"],
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    # moto's servers in one process share their state: a stack name of its own per call.
    stack = Provisioner(client, f"hark-img-{uuid.uuid4().hex[:8]}", REGION).create()
    outputs = stack.environment()
    key = KeyService(KeysTable(client("dynamodb"), outputs["HARK_KEYS_TABLE"])).create_key("acme")
    env.update({name: outputs[name] for name in ("HARK_KEYS_TABLE", "HARK_MODELS_TABLE", "HARK_MEDIA_BUCKET")})
    try:
        yield env, key
    finally:
        server.stop()


def stream_once(
    port: int, key: str, samples: "np.ndarray", process: subprocess.Popen[bytes], log: Path, startup_s: float
) -> list[str]:
    """Waits up to `startup_s` for the service on `port` (failing with its log if it dies), then
    streams `samples` in 100-ms frames as one session and returns its final turns' text."""
    deadline = time.monotonic() + startup_s
    while True:
        assert process.poll() is None, f"the service died at start:\n{log.read_text()}"
        try:
            ws = connect(f"ws://127.0.0.1:{port}/v3/ws?sample_rate=16000", additional_headers={"Authorization": key}, open_timeout=5)
            break
        except OSError:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.5)
    finals: list[str] = []
    with ws:
        assert json.loads(ws.recv())["type"] == "Begin"

        def read() -> None:
            try:
                for message in ws:
                    event = json.loads(message)
                    if event["type"] == "Turn" and event["end_of_turn"] and not event["turn_is_formatted"]:
                        finals.append(event["transcript"])
            except ConnectionClosed:
                pass

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        for i in range(0, len(samples), 1600):
            ws.send(pcm16(samples[i : i + 1600]))
        ws.send(json.dumps({"type": "Terminate"}))
        reader.join(120)
    return finals


def test_the_streaming_entrypoint_serves_a_session_without_chalice(
    records: tuple[dict[str, str], str], audio_dir: Path, references: dict[str, str], tmp_path: Path
) -> None:
    env, key = records
    port = _free_port()
    log = tmp_path / "streaming.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", WITHOUT_CHALICE, "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT, env={**os.environ, **env, "PYTHONPATH": str(ROOT)}, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        clip = "ls_1089-134686-0002.flac"
        finals = stream_once(port, key, audio.decode((audio_dir / clip).read_bytes()), process, log, startup_s=120)
        words = set(" ".join(finals).lower().split())
        assert len(words & set(references[clip].lower().split())) >= 5, finals
        # A bad parameter is described in the API's words (the validation helper it shares).
        with connect(f"ws://127.0.0.1:{port}/v3/ws?sample_rate=0", additional_headers={"Authorization": key}) as bad:
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    bad.recv(timeout=30)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4000
        assert "sample_rate" in closed.value.rcvd.reason
    finally:
        process.terminate()
        process.wait(timeout=30)
