"""Webhooks with AssemblyAI's semantics: when a transcript completes or fails, POST
``{"transcript_id", "status"}`` to its ``webhook_url``, with the customer's own auth header
if one was given.

Deliveries go through a queue. A failed try (no answer, or a non-2xx answer) is queued
again with an exponentially growing delay; after the last try the delivery goes to the
dead-letter queue with the reason, so nothing is dropped silently. Every body is signed:

    X-Hark-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the tenant's secret>

(`verify` is the receiver's side.) The URL is vetted when the job is submitted and again
before every try, connecting to the address that was checked, so a host that later
resolves to a private or metadata address (DNS rebinding) is refused, not called.
"""
from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import time
from dataclasses import dataclass
from typing import Any, Callable, Literal, Optional

from pydantic import BaseModel

from chalicelib.aws import guarded
from chalicelib.fetch import Target, check_url, post
from hark_core.errors import InvalidWebhookUrl

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hark-Signature"
MAX_SQS_DELAY_S = 900


class WebhookDelivery(BaseModel):
    tenant_id: str
    transcript_id: str
    status: Literal["completed", "error"]
    url: str
    auth_header_name: Optional[str] = None
    auth_header_value: Optional[str] = None
    attempt: int = 1
    last_error: Optional[str] = None

    def body(self) -> bytes:
        return json.dumps({"transcript_id": self.transcript_id, "status": self.status}).encode()


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    base_delay_s: int = 30
    """The delay before try n+1 is base * 2**(n-1), capped at SQS's 15 minutes."""

    def delay_after(self, attempt: int) -> int:
        return int(min(MAX_SQS_DELAY_S, self.base_delay_s * 2 ** (attempt - 1)))


def check_webhook_url(url: str, allow_private: bool) -> Target:
    return check_url(url, allow_private, field="webhook_url", error=InvalidWebhookUrl)


def signature(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, body: bytes, header: str, tolerance_s: int = 300, now: float | None = None) -> bool:
    """True when ``header`` signs ``body`` with ``secret`` and is at most ``tolerance_s`` old
    (which stops an old, captured delivery from being replayed later)."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    if not fields.get("t", "").isdigit() or "v1" not in fields:
        return False
    timestamp = int(fields["t"])
    if abs((time.time() if now is None else now) - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(signature(secret, body, timestamp), f"t={timestamp},v1={fields['v1']}")


Poster = Callable[[Target, bytes, dict[str, str]], int]


class WebhookSender:
    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        dead_letter_url: str,
        signing_secret: Callable[[str], str],
        policy: RetryPolicy,
        allow_private: bool,
        poster: Poster = post,
        record_status: Callable[[str, str, int], None] | None = None,
    ) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._dead_letter_url = dead_letter_url
        self._secret = signing_secret
        self._policy = policy
        self._allow_private = allow_private
        self._post = poster
        self._record_status = record_status

    def enqueue(self, delivery: WebhookDelivery, delay_s: int = 0) -> None:
        guarded(
            lambda: self._sqs.send_message(
                QueueUrl=self._queue_url, MessageBody=delivery.model_dump_json(), DelaySeconds=delay_s
            ),
            "queueing the webhook",
        )

    def deliver(self, delivery: WebhookDelivery) -> None:
        """One try. Never raises for the receiver's failures (they are retried by re-queueing
        with a delay); AWS failures propagate so the queue redelivers the message."""
        try:
            target = check_webhook_url(delivery.url, self._allow_private)
        except InvalidWebhookUrl as e:
            # The host now resolves somewhere forbidden: calling it again cannot become safe.
            self._dead_letter(delivery, e.message)
            return
        body = delivery.body()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Hark-Webhooks/1.0",
            SIGNATURE_HEADER: signature(self._secret(delivery.tenant_id), body, int(time.time())),
        }
        if delivery.auth_header_name and delivery.auth_header_value:
            headers[delivery.auth_header_name] = delivery.auth_header_value
        try:
            status = self._post(target, body, headers)
            reason = f"the receiver answered HTTP {status}"
        except (OSError, http.client.HTTPException) as e:
            status, reason = 0, f"the receiver could not be reached: {e}"
        if self._record_status and status:
            self._record_status(delivery.tenant_id, delivery.transcript_id, status)
        if 200 <= status < 300:
            log.info("webhook for %s delivered on try %d", delivery.transcript_id, delivery.attempt)
            return
        failed = delivery.model_copy(update={"last_error": reason})
        if delivery.attempt >= self._policy.max_attempts:
            self._dead_letter(failed, reason)
            return
        delay = self._policy.delay_after(delivery.attempt)
        log.warning("webhook for %s failed (%s); try %d in %d s", delivery.transcript_id, reason, delivery.attempt + 1, delay)
        self.enqueue(failed.model_copy(update={"attempt": delivery.attempt + 1}), delay)

    def _dead_letter(self, delivery: WebhookDelivery, reason: str) -> None:
        log.error("webhook for %s given up after %d tries: %s", delivery.transcript_id, delivery.attempt, reason)
        dead = delivery.model_copy(update={"last_error": reason})
        guarded(
            lambda: self._sqs.send_message(QueueUrl=self._dead_letter_url, MessageBody=dead.model_dump_json()),
            "dead-lettering the webhook",
        )
