"""What the local runner's tests share: names, and reading notifications off SQS."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REGION = "us-east-1"
BUCKET = "hark-local-sagemaker-test"
ENDPOINT = "hark-asr-test"
FAKE_CONTAINER = Path(__file__).with_name("fake_container.py")


class Inbox:
    """Notifications arriving through SNS -> SQS, looked up by inference id."""

    def __init__(self, sqs: Any, queue_url: str) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._seen: dict[str, dict[str, Any]] = {}

    def wait_for(self, inference_id: str, timeout_s: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while inference_id not in self._seen:
            if time.monotonic() > deadline:
                raise AssertionError(f"no notification for {inference_id} in {timeout_s} s")
            received = self._sqs.receive_message(
                QueueUrl=self._queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
            )
            for raw in received.get("Messages", []):
                envelope = json.loads(raw["Body"])
                message = json.loads(envelope["Message"])
                self._seen[message["inferenceId"]] = message
                self._sqs.delete_message(
                    QueueUrl=self._queue_url, ReceiptHandle=raw["ReceiptHandle"]
                )
        return self._seen[inference_id]

    def has(self, inference_id: str) -> bool:
        return inference_id in self._seen


@dataclass(frozen=True)
class AsyncEndpointStack:
    success: Inbox
    errors: Inbox
    output_path: str
    failure_path: str


def subscribed_queue(sns: Any, sqs: Any, topic_arn: str, name: str) -> Inbox:
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    return Inbox(sqs, queue_url)
