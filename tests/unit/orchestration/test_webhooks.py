"""Webhook signing, retry schedule and the delivery decisions, with a fake queue and poster
(the real POSTs, retries and dead letters run in tests/e2e/test_orchestration.py)."""
from __future__ import annotations

import http.client
import json
from typing import Any

import pytest

from chalicelib.fetch import Target
from chalicelib.orchestration.webhooks import (
    SIGNATURE_HEADER,
    RetryPolicy,
    WebhookDelivery,
    WebhookSender,
    check_webhook_url,
    signature,
    verify,
)
from hark_core.errors import InvalidWebhookUrl


class FakeSqs:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send_message(self, **kwargs: Any) -> dict[str, Any]:
        self.sent.append(kwargs)
        return {}


def delivery(**overrides: Any) -> WebhookDelivery:
    values = {"tenant_id": "acme", "transcript_id": "t-1", "status": "completed", "url": "http://127.0.0.1:9/hook"}
    return WebhookDelivery(**{**values, **overrides})


def sender(sqs: FakeSqs, answer: int | Exception, seen: list[dict[str, str]] | None = None) -> WebhookSender:
    def poster(target: Target, body: bytes, headers: dict[str, str]) -> int:
        if seen is not None:
            seen.append(headers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return WebhookSender(sqs, "q", "dlq", lambda tenant: f"secret-of-{tenant}", RetryPolicy(3, 10), True, poster)


def test_a_signature_verifies_only_for_its_body_secret_and_time() -> None:
    body = b'{"transcript_id": "t-1", "status": "completed"}'
    header = signature("s", body, 1_000_000)
    assert verify("s", body, header, now=1_000_100)
    assert not verify("other", body, header, now=1_000_100)
    assert not verify("s", body + b" ", header, now=1_000_100)
    assert not verify("s", body, header, now=1_000_000 + 301)  # a replay, too late
    assert not verify("s", body, "t=abc,v1=00")


def test_retries_back_off_exponentially_up_to_sqs_maximum_delay() -> None:
    policy = RetryPolicy(max_attempts=8, base_delay_s=30)
    assert [policy.delay_after(n) for n in range(1, 7)] == [30, 60, 120, 240, 480, 900]


def test_a_delivered_webhook_is_signed_and_carries_the_customers_header() -> None:
    sqs, seen = FakeSqs(), []
    sender(sqs, 204, seen).deliver(delivery(auth_header_name="X-Token", auth_header_value="v"))
    assert sqs.sent == []
    headers = seen[0]
    assert headers["X-Token"] == "v" and headers["Content-Type"] == "application/json"
    body = delivery().body()
    assert json.loads(body) == {"transcript_id": "t-1", "status": "completed"}
    assert verify("secret-of-acme", body, headers[SIGNATURE_HEADER])


@pytest.mark.parametrize("answer", [500, 404, ConnectionRefusedError("refused"), http.client.RemoteDisconnected("gone")])
def test_a_failed_try_is_queued_again_with_a_delay(answer: int | Exception) -> None:
    sqs = FakeSqs()
    sender(sqs, answer).deliver(delivery(attempt=2))
    (message,) = sqs.sent
    assert message["QueueUrl"] == "q" and message["DelaySeconds"] == 20
    retry = WebhookDelivery.model_validate_json(message["MessageBody"])
    assert retry.attempt == 3 and retry.last_error


def test_the_last_failed_try_goes_to_the_dead_letter_queue() -> None:
    sqs = FakeSqs()
    sender(sqs, 503).deliver(delivery(attempt=3))
    (message,) = sqs.sent
    assert message["QueueUrl"] == "dlq"
    assert "HTTP 503" in (WebhookDelivery.model_validate_json(message["MessageBody"]).last_error or "")


def test_a_url_that_now_resolves_to_a_forbidden_address_is_dead_lettered_without_a_call() -> None:
    sqs, seen = FakeSqs(), []
    sender(sqs, 200, seen).deliver(delivery(url="http://169.254.169.254/latest/"))
    assert seen == [] and sqs.sent[0]["QueueUrl"] == "dlq"


@pytest.mark.parametrize("url", ["http://127.0.0.1/hook", "http://10.0.0.5/hook", "http://169.254.169.254/", "file:///etc/passwd"])
def test_private_webhook_urls_are_refused_unless_allowed(url: str) -> None:
    with pytest.raises(InvalidWebhookUrl, match="webhook_url"):
        check_webhook_url(url, allow_private=False)
