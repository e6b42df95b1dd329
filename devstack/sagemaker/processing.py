"""Serving one queued async invocation: input from S3, through a container, result reported."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from devstack.sagemaker.endpoint_config import AsyncEndpointConfig
from devstack.sagemaker.invocation import AsyncInvocation
from devstack.sagemaker.notifications import Notifier
from devstack.sagemaker.workers import (
    ContainerReply,
    ContainerRequest,
    Invoke,
    WorkerDiedError,
    WorkerTimeoutError,
)

log = logging.getLogger(__name__)

WORKER_STOPPED_REASON = "the inference worker stopped unexpectedly while processing this request"


def model_error_reason(status: int) -> str:
    """SageMaker's failureReason for a model that answered with an error status.

    Worded as real endpoints word it; like them it does not quote the model's message, which is
    in the object at the notification's failureLocation.
    """
    kind = "client" if 400 <= status < 500 else "server"
    return (
        f"ClientError: Received {kind} error ({status}) from model. "
        "See the SageMaker Endpoint logs in your account for more information."
    )


def timeout_reason(seconds: int) -> str:
    return f"inference timed out after {seconds} s"


def expired_reason(seconds: int) -> str:
    return f"the request expired after waiting {seconds} s in the queue (RequestTTLSeconds)"


def process_invocation(
    invocation: AsyncInvocation,
    config: AsyncEndpointConfig,
    invoke: Invoke,
    s3: Any,
    notifier: Notifier,
    now: Callable[[], datetime],
) -> None:
    """Run `invocation` on a container via `invoke` and report the outcome."""

    def fail(reason: str, reply: ContainerReply | None = None) -> None:
        notifier.failed(invocation, config, reason, reply)

    if (now() - invocation.received_at).total_seconds() > invocation.request_ttl_seconds:
        fail(expired_reason(invocation.request_ttl_seconds))
        return
    location = invocation.input_location
    try:
        body = s3.get_object(Bucket=location.bucket, Key=location.key)["Body"].read()
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "error")
        fail(f"ClientError: could not read the input object {location} ({code})")
        return
    request = ContainerRequest(
        body=body,
        content_type=invocation.container_content_type,
        accept=invocation.accept,
        custom_attributes=invocation.custom_attributes,
        timeout_s=invocation.invocation_timeout_seconds,
    )
    try:
        reply = invoke(request)
    except WorkerTimeoutError:
        fail(timeout_reason(invocation.invocation_timeout_seconds))
        return
    except WorkerDiedError:
        fail(WORKER_STOPPED_REASON)
        return
    if reply.ok:
        notifier.completed(invocation, config, reply)
    else:
        fail(model_error_reason(reply.status), reply)
