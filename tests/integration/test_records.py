"""Storage adapters and provisioning against moto (in process), from infra/template.yaml."""
from __future__ import annotations

from typing import Any

import boto3
import pytest

from chalicelib.services.keys import KeyService, hash_key
from chalicelib.storage.keys import KeysTable
from chalicelib.storage.transcripts import TranscriptsTable
from devstack.provision import Provisioner, Stack
from hark_core.errors import NotFound, Unauthorized
from hark_core.records import Status, TranscriptRecord, new_id

REGION = "us-east-1"


@pytest.fixture()
def aws(mocked_aws: None, monkeypatch: pytest.MonkeyPatch) -> Stack:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    return Provisioner(lambda service: boto3.client(service, region_name=REGION), "hark-test", REGION).create()


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


def test_template_resources_are_created_and_wired(aws: Stack) -> None:
    env = aws.environment()
    assert env["HARK_TRANSCRIPTS_TABLE"] == "hark-test-transcripts"
    assert set(client("dynamodb").list_tables()["TableNames"]) == {
        "hark-test-api-keys",
        "hark-test-transcripts",
        "hark-test-custom-models",
        "hark-test-idempotency",
        "hark-test-admission",
    }
    buckets = {b["Name"] for b in client("s3").list_buckets()["Buckets"]}
    assert {env["HARK_MEDIA_BUCKET"], env["HARK_ASYNC_BUCKET"]} <= buckets
    queues = client("sqs").list_queues()["QueueUrls"]
    assert any(q.endswith("/hark-test-dispatch") for q in queues)
    subscriptions = client("sns").list_subscriptions()["Subscriptions"]
    assert {s["Endpoint"].rsplit(":", 1)[1] for s in subscriptions} == {"hark-test-inference-results"}
    machine = client("stepfunctions").describe_state_machine(stateMachineArn=env["HARK_TRANSCRIPT_STATE_MACHINE_ARN"])
    assert "hark-test-dispatch" in machine["definition"] and "${" not in machine["definition"]
    notifications = client("s3").get_bucket_notification_configuration(Bucket=env["HARK_CORPORA_BUCKET"])
    assert notifications["QueueConfigurations"][0]["QueueArn"].endswith(":hark-test-corpus-uploads")
    targets = client("events").list_targets_by_rule(Rule="hark-test-training-state-change")["Targets"]
    assert targets[0]["Arn"].endswith(":hark-test-training-events")
    drop = client("s3").get_bucket_notification_configuration(Bucket=env["HARK_DROP_BUCKET"])
    assert drop["QueueConfigurations"][0]["QueueArn"].endswith(":hark-test-drop-uploads")
    bus = env["HARK_EVENT_BUS"]
    finished = client("events").list_targets_by_rule(Rule="hark-test-transcript-finished", EventBusName=bus)["Targets"]
    assert finished[0]["Arn"].endswith(":hark-test-notifications")
    assert env["HARK_WEBHOOK_DEAD_LETTER_QUEUE_URL"].endswith("/hark-test-webhooks-dlq")
    endpoint = client("sagemaker").describe_endpoint(EndpointName=env["HARK_INFERENCE_ENDPOINT"])
    config = client("sagemaker").describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])["AsyncInferenceConfig"]
    assert config["OutputConfig"]["NotificationConfig"]["SuccessTopic"].endswith(":hark-test-inference-success")


def record(tenant: str = "t1") -> TranscriptRecord:
    return TranscriptRecord(tenant_id=tenant, transcript_id=new_id(), audio_url="https://example.com/a.wav", media_key="k")


def test_records_are_scoped_to_their_tenant(aws: Stack) -> None:
    table = TranscriptsTable(client("dynamodb"), "hark-test-transcripts")
    mine = record("t1")
    table.create(mine)
    assert table.get("t1", mine.transcript_id).audio_url == mine.audio_url
    with pytest.raises(NotFound):
        table.get("t2", mine.transcript_id)
    assert table.list("t2", 10) == []


def test_list_is_newest_first_and_bounded(aws: Stack) -> None:
    table = TranscriptsTable(client("dynamodb"), "hark-test-transcripts")
    made = [record() for _ in range(4)]
    for r in made:
        table.create(r)
    ids = [r.transcript_id for r in made]
    assert [r.transcript_id for r in table.list("t1", 10)] == ids[::-1]
    assert [r.transcript_id for r in table.list("t1", 2, before_id=ids[3])] == [ids[2], ids[1]]
    assert [r.transcript_id for r in table.list("t1", 10, after_id=ids[1])] == [ids[3], ids[2]]
    assert [r.transcript_id for r in table.list("t1", 10, before_id=ids[3], after_id=ids[0])] == [ids[2], ids[1]]
    assert table.list("t1", 10, status=Status.completed.value) == []


def test_a_job_starts_only_from_queued_or_for_the_same_task(aws: Stack) -> None:
    table = TranscriptsTable(client("dynamodb"), "hark-test-transcripts")
    r = record()
    table.create(r)
    assert table.start("t1", r.transcript_id, "token-1")
    assert table.start("t1", r.transcript_id, "token-1")  # redelivery of the same task
    assert not table.start("t1", r.transcript_id, "token-2")  # another task for it
    assert table.task_token("t1", r.transcript_id) == "token-1"
    assert not table.mark_deleted("t1", r.transcript_id, "http://deleted_by_user")  # still processing


def test_keys_are_stored_only_as_hashes(aws: Stack) -> None:
    keys = KeyService(KeysTable(client("dynamodb"), "hark-test-api-keys"))
    key = keys.create_key("acme")
    items = client("dynamodb").scan(TableName="hark-test-api-keys")["Items"]
    assert items[0]["key_hash"]["S"] == hash_key(key)
    assert key not in str(items)
    assert keys.authenticate(key) == "acme"
    assert keys.authenticate(f"Bearer {key}") == "acme"
    for bad in (None, "", "Bearer ", key + "x", "x" * 10_000):
        with pytest.raises(Unauthorized):
            keys.authenticate(bad)
