"""Lambda's SQS event source mapping, played locally: long-poll each queue an
``@app.on_sqs_message`` handler is bound to and call the handler with the same event
Lambda would send. A message is deleted only when its handler returns; otherwise it
comes back after its visibility timeout and, past maxReceiveCount, goes to the DLQ."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any, Callable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Binding:
    queue_name: str
    handler: Callable[[dict[str, Any], Any], Any]
    batch_size: int


def bindings(app: Any) -> list[Binding]:
    return [
        Binding(source.queue, app.handler_map[source.name], source.batch_size)
        for source in app.event_sources
        if type(source).__name__ == "SQSEventConfig"
    ]


class QueuePoller(threading.Thread):
    def __init__(self, sqs: Any, binding: Binding, region: str, index: int = 0) -> None:
        super().__init__(name=f"poll-{binding.queue_name}-{index}", daemon=True)
        self._sqs = sqs
        self._binding = binding
        self._region = region
        self._url = sqs.get_queue_url(QueueName=binding.queue_name)["QueueUrl"]
        self._arn = sqs.get_queue_attributes(QueueUrl=self._url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                self._poll_once()
            except Exception:  # a poller outlives any one bad batch, as Lambda's does
                log.exception("polling %s failed", self._binding.queue_name)
                self._stop.wait(1)

    def _poll_once(self) -> None:
        messages = self._sqs.receive_message(
            QueueUrl=self._url,
            MaxNumberOfMessages=min(self._binding.batch_size, 10),
            # Long polls: moto and SQS answer as soon as a message arrives.
            WaitTimeSeconds=5,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return
        event = {"Records": [self._record(m) for m in messages]}
        try:
            self._binding.handler(event, None)
        except Exception:
            log.exception("handler for %s failed; messages return after their visibility timeout", self._binding.queue_name)
            return
        self._sqs.delete_message_batch(
            QueueUrl=self._url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
        )

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": message.get("MessageAttributes", {}),
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": self._arn,
            "awsRegion": self._region,
        }
