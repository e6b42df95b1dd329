"""The end-to-end tier: a real local stack, started exactly as `make serve` starts it
(a separate process), spoken to over real HTTP."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from devstack.process import StackDidNotStart, running_stack

ROOT = Path(__file__).resolve().parents[2]
# Small enough to test the 413 answer without pushing hundreds of MB through loopback.
MAX_UPLOAD_BYTES = 20_000_000


@dataclass
class Stack:
    api_url: str
    key: str
    env: dict[str, str]
    process: subprocess.Popen[str]
    streaming_url: str = ""

    def client(self, key: str | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.api_url, headers={"authorization": key or self.key}, timeout=60)

    def new_key(self, tenant: str, *limits: str) -> str:
        """`make key TENANT=...` against this stack (`limits`: e.g. "--requests-per-second", "2")."""
        done = subprocess.run(
            [sys.executable, "-m", "devstack", "key", "--tenant", tenant, *limits],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=60, check=True,
        )
        return done.stdout.strip().splitlines()[-1]

    def wait(self, transcript_id: str, key: str | None = None, timeout: float = 120) -> dict[str, Any]:
        with self.client(key) as c:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                body = c.get(f"/v2/transcript/{transcript_id}").json()
                if body["status"] in ("completed", "error"):
                    return body
                time.sleep(0.3)
        raise AssertionError(f"transcript {transcript_id} did not finish in {timeout} s")


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    env = {
        "HARK_MAX_UPLOAD_BYTES": str(MAX_UPLOAD_BYTES),
        # Webhook retries within a test's patience: tries after 1 s and 2 s, then the DLQ.
        "HARK_WEBHOOK_MAX_ATTEMPTS": "3",
        "HARK_WEBHOOK_RETRY_BASE_S": "1",
        # Models adapt the decoder only where a test asks (`adapt_decoder`), and then on a small
        # budget: the full one takes minutes per model on this machine.
        "HARK_ADAPT_DECODER": "0",
        "HARK_ADAPT_WINDOWS": "6",
        "HARK_ADAPT_EPOCHS": "1",
    }
    logs, state = tmp_path_factory.mktemp("logs"), tmp_path_factory.mktemp("stack")
    try:
        with running_stack(logs / "stack.log", state / "state.json", env, startup_timeout_s=180) as running:
            yield Stack(running.api_url, running.key, running.env, running.process, running.streaming_url)
    except StackDidNotStart as e:
        pytest.fail(str(e))


@pytest.fixture(scope="session")
def other_key(stack: Stack) -> str:
    return stack.new_key("other-tenant")


@pytest.fixture(scope="session")
def sdk(stack: Stack) -> Iterator[Any]:
    """The official SDK pointed at the stack. Session-wide, so that module fixtures can
    transcribe once for many tests; no test changes these settings."""
    import assemblyai as aai

    aai.settings.base_url = stack.api_url
    aai.settings.api_key = stack.key
    aai.settings.polling_interval = 0.3
    yield aai


def upload(stack: Stack, path: Path, key: str | None = None) -> str:
    with stack.client(key) as c:
        response = c.post("/v2/upload", content=path.read_bytes())
        assert response.status_code == 200, response.text
        return str(response.json()["upload_url"])


def submit(stack: Stack, audio_url: str, key: str | None = None, **options: Any) -> dict[str, Any]:
    with stack.client(key) as c:
        response = c.post("/v2/transcript", json={"audio_url": audio_url, **options})
        assert response.status_code == 200, response.text
        return dict(response.json())


def state_file(stack: Stack) -> dict[str, str]:
    return dict(json.loads(Path(stack.env["HARK_STATE_FILE"]).read_text()))
