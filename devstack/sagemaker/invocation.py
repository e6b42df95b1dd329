"""Accepting an InvokeEndpointAsync request: validate it as SageMaker does and name its outputs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from devstack.sagemaker.endpoint_config import AsyncEndpointConfig
from devstack.sagemaker.runtime_api import InvokeEndpointAsyncRequest, ValidationError
from hark_core.s3_uri import S3Uri

# AWS's defaults and limits (sagemaker-runtime API reference, InvokeEndpointAsync).
DEFAULT_REQUEST_TTL_SECONDS = 6 * 60 * 60
DEFAULT_INVOCATION_TIMEOUT_SECONDS = 15 * 60
REQUEST_TTL_RANGE = (60, 21600)
INVOCATION_TIMEOUT_RANGE = (1, 3600)
MAX_INFERENCE_ID_LENGTH = 64
# SageMaker's content type when the caller names none.
DEFAULT_CONTENT_TYPE = "application/octet-stream"


@dataclass(frozen=True)
class AsyncInvocation:
    """One accepted request, as it waits in the queue and is processed."""

    inference_id: str
    endpoint_name: str
    input_location: S3Uri
    content_type: str | None
    accept: str | None
    custom_attributes: str | None
    request_ttl_seconds: int
    invocation_timeout_seconds: int
    received_at: datetime
    output_location: S3Uri
    failure_location: S3Uri | None

    @property
    def container_content_type(self) -> str:
        return self.content_type or DEFAULT_CONTENT_TYPE


def _in_range(value: int | None, default: int, bounds: tuple[int, int], name: str) -> int:
    if value is None:
        return default
    low, high = bounds
    if not low <= value <= high:
        raise ValidationError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _refuse_unemulated(request: InvokeEndpointAsyncRequest) -> None:
    # Guessing how SageMaker names or reports these would make local runs lie; say so instead.
    if request.has_inline_body:
        raise ValidationError("the local SageMaker runner supports InputLocation only, not Body")
    if request.s3_output_path_extension or request.filename:
        raise ValidationError(
            "the local SageMaker runner does not emulate S3OutputPathExtension or Filename"
        )


def accept_invocation(
    request: InvokeEndpointAsyncRequest, config: AsyncEndpointConfig, received_at: datetime
) -> AsyncInvocation:
    """Validate `request` for the endpoint described by `config`; raises ValidationError."""
    _refuse_unemulated(request)
    if not request.input_location:
        raise ValidationError("InputLocation is required")
    try:
        input_location = S3Uri.parse(request.input_location)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    inference_id = request.inference_id or str(uuid.uuid4())
    if len(inference_id) > MAX_INFERENCE_ID_LENGTH:
        raise ValidationError(f"InferenceId must be at most {MAX_INFERENCE_ID_LENGTH} characters")
    # AWS names results with a fresh UUID, not the inference id; failures get "-error.out".
    result_name = str(uuid.uuid4())
    return AsyncInvocation(
        inference_id=inference_id,
        endpoint_name=request.endpoint_name,
        input_location=input_location,
        content_type=request.content_type,
        accept=request.accept,
        custom_attributes=request.custom_attributes,
        request_ttl_seconds=_in_range(
            request.request_ttl_seconds,
            DEFAULT_REQUEST_TTL_SECONDS,
            REQUEST_TTL_RANGE,
            "RequestTTLSeconds",
        ),
        invocation_timeout_seconds=_in_range(
            request.invocation_timeout_seconds,
            DEFAULT_INVOCATION_TIMEOUT_SECONDS,
            INVOCATION_TIMEOUT_RANGE,
            "InvocationTimeoutSeconds",
        ),
        received_at=received_at,
        output_location=config.s3_output_path.child(f"{result_name}.out"),
        failure_location=(
            config.s3_failure_path.child(f"{result_name}-error.out")
            if config.s3_failure_path
            else None
        ),
    )
