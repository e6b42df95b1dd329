"""Results of async invocations: the S3 objects and SNS messages SageMaker would produce.

Message shape: the examples in AWS's "Check prediction results" page of the SageMaker developer
guide (async-inference-check-predictions), cross-checked against messages real endpoints sent:

    {"awsRegion", "eventTime", "receivedTime", "invocationStatus": "Completed" | "Failed",
     ["failureReason",] "requestParameters": {...}, ["responseParameters": {...},]
     "inferenceId", "eventVersion": "1.0", "eventSource": "aws:sagemaker",
     "eventName": "InferenceResult"}

`requestParameters` echoes the request parameters the caller set (accept, contentType,
customAttributes) plus endpointName and inputLocation. On success `responseParameters` holds the
model's contentType and the outputLocation; on failure it holds the model's contentType (when the
model answered) and the failureLocation (when the endpoint has an S3FailurePath), and is left out
when it would be empty.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from devstack.sagemaker.endpoint_config import AsyncEndpointConfig
from devstack.sagemaker.invocation import AsyncInvocation
from devstack.sagemaker.workers import ContainerReply
from hark_core.s3_uri import S3Uri

log = logging.getLogger(__name__)


def format_event_time(moment: datetime) -> str:
    """AWS's event timestamp: UTC, milliseconds, "Z" (e.g. 2022-01-25T22:46:00.608Z)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _request_parameters(invocation: AsyncInvocation) -> dict[str, str]:
    given = {
        "accept": invocation.accept,
        "contentType": invocation.content_type,
        "customAttributes": invocation.custom_attributes,
    }
    parameters = {key: value for key, value in given.items() if value}
    parameters["endpointName"] = invocation.endpoint_name
    parameters["inputLocation"] = str(invocation.input_location)
    return parameters


def _envelope_tail(invocation: AsyncInvocation) -> dict[str, str]:
    return {
        "inferenceId": invocation.inference_id,
        "eventVersion": "1.0",
        "eventSource": "aws:sagemaker",
        "eventName": "InferenceResult",
    }


def success_message(
    invocation: AsyncInvocation, region: str, event_time: datetime, response_content_type: str
) -> dict[str, Any]:
    return {
        "awsRegion": region,
        "eventTime": format_event_time(event_time),
        "receivedTime": format_event_time(invocation.received_at),
        "invocationStatus": "Completed",
        "requestParameters": _request_parameters(invocation),
        "responseParameters": {
            "contentType": response_content_type,
            "outputLocation": str(invocation.output_location),
        },
        **_envelope_tail(invocation),
    }


def failure_message(
    invocation: AsyncInvocation,
    region: str,
    event_time: datetime,
    failure_reason: str,
    response_content_type: str | None,
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "awsRegion": region,
        "eventTime": format_event_time(event_time),
        "receivedTime": format_event_time(invocation.received_at),
        "invocationStatus": "Failed",
        "failureReason": failure_reason,
        "requestParameters": _request_parameters(invocation),
    }
    response_parameters = {}
    if response_content_type:
        response_parameters["contentType"] = response_content_type
    if invocation.failure_location:
        response_parameters["failureLocation"] = str(invocation.failure_location)
    if response_parameters:
        message["responseParameters"] = response_parameters
    return {**message, **_envelope_tail(invocation)}


class Notifier:
    """Writes result objects to S3 and publishes the endpoint's SNS notifications."""

    def __init__(self, s3: Any, sns: Any, region: str, now: Callable[[], datetime]) -> None:
        self._s3 = s3
        self._sns = sns
        self._region = region
        self._now = now

    def completed(
        self, invocation: AsyncInvocation, config: AsyncEndpointConfig, reply: ContainerReply
    ) -> None:
        self._put(invocation.output_location, reply.body, reply.content_type)
        log.info("%s: completed -> %s", invocation.inference_id, invocation.output_location)
        message = success_message(invocation, self._region, self._now(), reply.content_type)
        self._publish(config.success_topic, message)

    def failed(
        self,
        invocation: AsyncInvocation,
        config: AsyncEndpointConfig,
        reason: str,
        reply: ContainerReply | None,
    ) -> None:
        """Report a failure; `reply` is the model's error response, if it gave one."""
        log.warning("%s: failed: %s", invocation.inference_id, reason)
        if invocation.failure_location:
            # The model's own error body is what SageMaker stores; without one, the reason is.
            if reply is not None:
                self._put(invocation.failure_location, reply.body, reply.content_type)
            else:
                body = json.dumps({"error": reason}).encode()
                self._put(invocation.failure_location, body, "application/json")
        message = failure_message(
            invocation,
            self._region,
            self._now(),
            reason,
            reply.content_type if reply is not None else None,
        )
        self._publish(config.error_topic, message)

    def _put(self, location: S3Uri, body: bytes, content_type: str) -> None:
        self._s3.put_object(
            Bucket=location.bucket, Key=location.key, Body=body, ContentType=content_type
        )

    def _publish(self, topic_arn: str | None, message: dict[str, Any]) -> None:
        if topic_arn is None:
            return
        self._sns.publish(TopicArn=topic_arn, Message=json.dumps(message))
