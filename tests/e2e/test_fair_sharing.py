"""Fair sharing on the local stack: one tenant's burst does not stall another tenant's file,
and a tenant past its request rate gets 429 with Retry-After while others go on."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.e2e.conftest import Stack, submit, upload

pytestmark = pytest.mark.timeout(600)
BURST = 100
INTAKE_S = 8.0


def _timed(stack: Stack, audio_url: str, key: str) -> tuple[float, dict]:
    """Seconds from submitting to seeing the job done, and the job; the job's `seen` says when
    each status was first seen (seconds from submitting), so a failure shows where time went."""
    started = time.monotonic()
    job = submit(stack, audio_url, key)
    seen: dict[str, float] = {}
    with stack.client(key) as c:
        while True:
            body = c.get(f"/v2/transcript/{job['id']}").json()
            seen.setdefault(body["status"], round(time.monotonic() - started, 2))
            if body["status"] in ("completed", "error"):
                return time.monotonic() - started, {**body, "seen": seen}
            time.sleep(0.1)


def test_a_burst_of_one_tenant_does_not_stall_another(stack: Stack, audio_dir: Path) -> None:
    burst_key, other_key = stack.new_key("burst-tenant"), stack.new_key("patient-tenant")
    # The other tenant's file is 12 s long (the issue measured a 15-second one).
    short = upload(stack, audio_dir / "ls_2412-153948-0000.flac", other_key)
    idle = _timed(stack, short, other_key)[0]

    clip = upload(stack, audio_dir / "ls_1089-134686-0002.flac", burst_key)
    with ThreadPoolExecutor(8) as pool:
        burst = list(pool.map(lambda _: submit(stack, clip, burst_key)["id"], range(BURST)))
    # The local stack plays Step Functions and Lambda's pollers in one Python process, whose
    # intake of 100 new executions takes a few seconds of its own (on AWS they run side by side):
    # B comes once the burst is in line, as behind a batch submitted earlier.
    time.sleep(INTAKE_S)
    behind_burst, done = _timed(stack, short, other_key)
    with stack.client(burst_key) as c:
        last = c.get(f"/v2/transcript/{burst[-1]}").json()

    assert done["status"] == "completed"
    # Fair sharing, not first come first served: the other tenant's file, sent after all 100,
    # is done while the burst's last is still waiting its turn (in order, not by timing: the
    # times are printed, since on a shared 2-core machine they say more about the machine).
    assert last["status"] in ("queued", "processing"), (last["status"], done["seen"])
    assert last["status"] != "queued" or last["queue_position"] > 0  # it knows its place in its own line
    finished = [stack.wait(transcript_id, burst_key, timeout=400)["status"] for transcript_id in burst]
    assert finished == ["completed"] * BURST  # none lost
    print(f"other tenant's file: {idle:.1f} s idle, {behind_burst:.1f} s behind a burst of {BURST}")


def test_a_tenant_past_its_rate_gets_429_and_others_do_not(stack: Stack) -> None:
    key = stack.new_key("chatty-tenant", "--requests-per-second", "2")

    with stack.client(key) as chatty, stack.client() as calm:
        answers = [chatty.get("/v2/transcript", params={"limit": 1}) for _ in range(12)]
        refused = [a for a in answers if a.status_code == 429]
        assert refused, [a.status_code for a in answers]
        assert int(refused[0].headers["Retry-After"]) >= 1
        assert "too many requests" in refused[0].json()["error"]
        assert all(calm.get("/v2/transcript", params={"limit": 1}).status_code == 200 for _ in range(12))
        time.sleep(int(refused[0].headers["Retry-After"]) + 0.5)
        assert chatty.get("/v2/transcript", params={"limit": 1}).status_code == 200


def test_the_sdk_reports_the_rate_limit(stack: Stack) -> None:
    import assemblyai as aai

    key = stack.new_key("sdk-chatty-tenant", "--requests-per-second", "1")
    client = aai.Client(settings=aai.Settings(api_key=key, base_url=stack.api_url))
    transcriber = aai.Transcriber(client=client)
    try:
        with pytest.raises(Exception) as error:
            for _ in range(10):
                transcriber.list_transcripts()
    finally:
        client.http_client.close()
    assert "too many requests" in str(error.value).lower() or "429" in str(error.value)
