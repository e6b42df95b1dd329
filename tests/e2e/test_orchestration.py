"""Orchestration and ingestion on the real local stack: the S3 drop folder, Hark's
EventBridge events routed by a customer's rule, and webhooks (signed, retried, dead-lettered)."""
from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import jsonschema
import pytest
import yaml

from chalicelib.orchestration.webhooks import SIGNATURE_HEADER, verify
from tests.e2e.conftest import Stack, state_file, submit, upload

ROOT = Path(__file__).resolve().parents[2]
CLIP = "ls_1089-134686-0002.flac"  # 5 s of LibriSpeech


def aws(stack: Stack, service: str) -> Any:
    env = state_file(stack)
    return boto3.client(
        service,
        endpoint_url=env["AWS_ENDPOINT_URL"],
        region_name=env.get("AWS_DEFAULT_REGION", "us-east-1"),
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def wait_for(probe: Any, timeout: float = 120, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def object_or_none(s3: Any, bucket: str, key: str) -> bytes | None:
    try:
        return bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    except s3.exceptions.NoSuchKey:
        return None


def tenant_of(stack: Stack) -> str:
    with stack.client() as c:
        return str(c.get("/v2/account").json()["tenant_id"])


# --- the drop folder -------------------------------------------------------------------------


def test_audio_dropped_in_the_inbox_is_transcribed_into_the_outbox(stack: Stack, audio_dir: Path) -> None:
    s3, bucket, tenant = aws(stack, "s3"), state_file(stack)["HARK_DROP_BUCKET"], tenant_of(stack)
    name = f"calls/{uuid.uuid4().hex[:8]}"
    # The sidecar goes first: its options apply when the audio arrives.
    s3.put_object(Bucket=bucket, Key=f"{tenant}/inbox/{name}.json", Body=json.dumps({"punctuate": False}).encode())
    s3.put_object(Bucket=bucket, Key=f"{tenant}/inbox/{name}.flac", Body=(audio_dir / CLIP).read_bytes())

    result = json.loads(
        wait_for(lambda: object_or_none(s3, bucket, f"{tenant}/outbox/{name}.json"), what="the outbox JSON")
    )
    assert result["status"] == "completed", result
    assert "yellow lamps" in result["text"] and "." not in result["text"]  # the sidecar's punctuate=false
    text = object_or_none(s3, bucket, f"{tenant}/outbox/{name}.txt")
    srt = object_or_none(s3, bucket, f"{tenant}/outbox/{name}.srt")
    assert text is not None and text.decode() == result["text"]
    assert srt is not None and srt.decode().startswith("1\n00:00:")
    with stack.client() as c:
        listed = [t["id"] for t in c.get("/v2/transcript", params={"limit": 50}).json()["transcripts"]]
        assert result["id"] in listed
        assert c.get(f"/v2/transcript/{result['id']}").json()["audio_url"] == f"s3://{bucket}/{tenant}/inbox/{name}.flac"


def test_the_same_s3_event_delivered_twice_makes_one_transcript(stack: Stack, audio_dir: Path) -> None:
    env = state_file(stack)
    s3, sqs, bucket, tenant = aws(stack, "s3"), aws(stack, "sqs"), env["HARK_DROP_BUCKET"], tenant_of(stack)
    key = f"{tenant}/inbox/dup-{uuid.uuid4().hex[:8]}.flac"
    s3.put_object(Bucket=bucket, Key=key, Body=(audio_dir / CLIP).read_bytes())

    def made() -> list[str]:
        return [t["id"] for t in _transcripts(stack) if t["audio_url"] == f"s3://{bucket}/{key}"]

    wait_for(made, what="the transcript from S3's own event")
    # Another event for the object (a new sequencer, as for an overwrite), delivered twice.
    queue = sqs.get_queue_url(QueueName=env["HARK_DROP_UPLOADS_QUEUE"])["QueueUrl"]
    event = _s3_event(bucket, key, sequencer="00FEEDFACE0001")
    for _ in range(2):
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(event))
    wait_for(lambda: len(made()) >= 2, what="the transcript from the redelivered event")
    time.sleep(3)  # room for a third (wrong) transcript to appear
    assert len(made()) == 2


def test_objects_outside_a_known_tenants_inbox_are_not_transcribed(stack: Stack, audio_dir: Path) -> None:
    s3, bucket = aws(stack, "s3"), state_file(stack)["HARK_DROP_BUCKET"]
    count = len(_transcripts(stack))
    s3.put_object(Bucket=bucket, Key="no-such-tenant/inbox/a.flac", Body=(audio_dir / CLIP).read_bytes())
    s3.put_object(Bucket=bucket, Key=f"{tenant_of(stack)}/elsewhere/a.flac", Body=(audio_dir / CLIP).read_bytes())
    time.sleep(4)
    assert len(_transcripts(stack)) == count
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix="no-such-tenant/outbox/")


def test_a_corrupt_dropped_file_ends_in_error_in_the_outbox(stack: Stack, audio_dir: Path) -> None:
    s3, bucket, tenant = aws(stack, "s3"), state_file(stack)["HARK_DROP_BUCKET"], tenant_of(stack)
    name = f"broken-{uuid.uuid4().hex[:8]}"
    s3.put_object(Bucket=bucket, Key=f"{tenant}/inbox/{name}.flac", Body=(audio_dir / "corrupt.flac").read_bytes())
    result = json.loads(wait_for(lambda: object_or_none(s3, bucket, f"{tenant}/outbox/{name}.json"), what="the outbox"))
    assert result["status"] == "error" and result["error"]
    assert object_or_none(s3, bucket, f"{tenant}/outbox/{name}.txt") is None


def test_a_bad_sidecar_is_reported_in_the_outbox(stack: Stack, audio_dir: Path) -> None:
    s3, bucket, tenant = aws(stack, "s3"), state_file(stack)["HARK_DROP_BUCKET"], tenant_of(stack)
    name = f"bad-sidecar-{uuid.uuid4().hex[:8]}"
    s3.put_object(Bucket=bucket, Key=f"{tenant}/inbox/{name}.json", Body=b'{"custom_model_id": "no-such-model"}')
    s3.put_object(Bucket=bucket, Key=f"{tenant}/inbox/{name}.flac", Body=(audio_dir / CLIP).read_bytes())
    result = json.loads(wait_for(lambda: object_or_none(s3, bucket, f"{tenant}/outbox/{name}.json"), what="the outbox"))
    assert result["status"] == "error" and "no-such-model" in result["error"]


def _transcripts(stack: Stack) -> list[dict[str, Any]]:
    with stack.client() as c:
        return list(c.get("/v2/transcript", params={"limit": 200}).json()["transcripts"])


def _s3_event(bucket: str, key: str, sequencer: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "us-east-1",
                "eventTime": "2026-12-01T00:00:00.000Z",
                "eventName": "ObjectCreated:Put",
                "userIdentity": {"principalId": "test"},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {"x-amz-request-id": "test", "x-amz-id-2": "test"},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "test",
                    "bucket": {"name": bucket, "ownerIdentity": {"principalId": "test"}, "arn": f"arn:aws:s3:::{bucket}"},
                    "object": {"key": key, "size": 1, "eTag": "0" * 32, "sequencer": sequencer},
                },
            }
        ]
    }


# --- EventBridge ------------------------------------------------------------------------------


def test_a_customer_rule_receives_a_transcripts_state_changes_in_order(stack: Stack, audio_dir: Path) -> None:
    """The rule is made from infra/events/route-to-sqs.yaml's pattern, as a customer would deploy it."""
    env = state_file(stack)
    sqs, events = aws(stack, "sqs"), aws(stack, "events")
    queue = sqs.create_queue(QueueName=f"customer-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    template = yaml.load((ROOT / "infra/events/route-to-sqs.yaml").read_text(), Loader=_CfnLoader)
    pattern = dict(template["Resources"]["HarkEventsRule"]["Properties"]["EventPattern"])
    pattern["detail"] = {"tenant_id": [tenant_of(stack)]}  # the template's TenantId parameter
    rule = f"customer-{uuid.uuid4().hex[:8]}"
    events.put_rule(Name=rule, EventBusName=env["HARK_EVENT_BUS"], EventPattern=json.dumps(pattern))
    events.put_targets(Rule=rule, EventBusName=env["HARK_EVENT_BUS"], Targets=[{"Id": "q", "Arn": queue_arn}])

    transcript = submit(stack, upload(stack, audio_dir / CLIP))
    stack.wait(transcript["id"])
    received: list[dict[str, Any]] = []

    def all_three() -> bool:
        for m in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            received.append(json.loads(m["Body"]))
        return len([e for e in received if e["detail"]["transcript_id"] == transcript["id"]]) >= 3

    wait_for(all_three, timeout=30, what="three state-change events")
    mine = [e for e in received if e["detail"]["transcript_id"] == transcript["id"]]
    assert [e["detail"]["status"] for e in mine] == ["queued", "processing", "completed"]
    schema = json.loads((ROOT / "infra/events/transcript-state-change.schema.json").read_text())
    for e in mine:
        assert e["source"] == "hark" and e["detail-type"] == "Transcript State Change"
        jsonschema.validate(e["detail"], schema)
    assert mine[-1]["detail"]["location"].startswith("s3://")


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation's short-form tags (!Ref, !If, ...) as plain values."""


_CfnLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


# --- webhooks ---------------------------------------------------------------------------------


@dataclass
class Receiver:
    url: str
    answer: int
    calls: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="", answer=200)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.calls.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(state.answer)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/hark"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def test_a_webhook_receiver_gets_a_signed_post_on_completion(stack: Stack, audio_dir: Path, receiver: Receiver) -> None:
    transcript = submit(
        stack,
        upload(stack, audio_dir / CLIP),
        webhook_url=receiver.url,
        webhook_auth_header_name="X-Receiver-Token",
        webhook_auth_header_value="s3cret",
    )
    assert transcript["webhook_url"] == receiver.url and transcript["webhook_auth"] is True
    assert "webhook_auth_header_value" not in transcript
    wait_for(lambda: receiver.calls, timeout=120, what="the webhook")
    headers, body = receiver.calls[0]
    assert json.loads(body) == {"transcript_id": transcript["id"], "status": "completed"}
    assert headers["x-receiver-token"] == "s3cret"
    with stack.client() as c:
        secret = c.get("/v2/account").json()["webhook_signing_secret"]
    assert verify(secret, body, headers[SIGNATURE_HEADER.lower()])
    assert not verify(secret, body + b" ", headers[SIGNATURE_HEADER.lower()])
    code = wait_for(lambda: _get(stack, transcript["id"]).get("webhook_status_code"), timeout=10, what="the status code")
    assert code == 200


def test_a_failing_webhook_receiver_gets_retries_then_a_dead_letter(stack: Stack, audio_dir: Path, receiver: Receiver) -> None:
    receiver.answer = 500
    transcript = submit(stack, upload(stack, audio_dir / CLIP), webhook_url=receiver.url)
    # Three tries in all (the stack under test allows 3), 1 s and then 2 s apart.
    wait_for(lambda: len(receiver.calls) >= 3, timeout=120, what="three webhook tries")
    env = state_file(stack)
    sqs = aws(stack, "sqs")
    dead: list[dict[str, Any]] = []

    def dead_lettered() -> bool:
        answer = sqs.receive_message(QueueUrl=env["HARK_WEBHOOK_DEAD_LETTER_QUEUE_URL"], MaxNumberOfMessages=10, WaitTimeSeconds=1)
        dead.extend(json.loads(m["Body"]) for m in answer.get("Messages", []))
        return any(d["transcript_id"] == transcript["id"] for d in dead)

    wait_for(dead_lettered, timeout=30, what="the dead-letter entry")
    entry = next(d for d in dead if d["transcript_id"] == transcript["id"])
    assert entry["attempt"] == 3 and "HTTP 500" in entry["last_error"]
    time.sleep(2.5)
    assert len(receiver.calls) == 3
    assert _get(stack, transcript["id"])["webhook_status_code"] == 500


@pytest.mark.parametrize(
    "url",
    ["http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/", "ftp://example.com/hook", "not a url"],
)
def test_webhook_urls_to_metadata_addresses_or_not_http_are_refused_at_submit(stack: Stack, audio_dir: Path, url: str) -> None:
    audio_url = upload(stack, audio_dir / CLIP)
    with stack.client() as c:
        response = c.post("/v2/transcript", json={"audio_url": audio_url, "webhook_url": url})
    assert response.status_code == 400
    assert "webhook_url" in response.json()["error"]


def _get(stack: Stack, transcript_id: str) -> dict[str, Any]:
    with stack.client() as c:
        return dict(c.get(f"/v2/transcript/{transcript_id}").json())
