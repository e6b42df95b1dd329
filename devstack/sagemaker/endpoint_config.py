"""Read an async endpoint's settings from the SageMaker API (moto, locally).

moto 5.2.5 stores `AsyncInferenceConfig` as given to CreateEndpointConfig and returns it from
DescribeEndpointConfig, so the endpoint definition the infrastructure code creates is the single
source of truth here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hark_core.s3_uri import S3Uri

# AWS picks "an optimal value" when MaxConcurrentInvocationsPerInstance is unset; one request at a
# time is the only safe guess for a model process whose memory use we do not know.
DEFAULT_MAX_CONCURRENT_INVOCATIONS_PER_INSTANCE = 1
DEFAULT_INSTANCE_COUNT = 1


class NotAnAsyncEndpointError(ValueError):
    """The endpoint exists but was not configured for asynchronous inference."""


@dataclass(frozen=True)
class AsyncEndpointConfig:
    endpoint_name: str
    endpoint_arn: str
    s3_output_path: S3Uri
    s3_failure_path: S3Uri | None
    success_topic: str | None
    error_topic: str | None
    max_concurrent_invocations_per_instance: int
    instance_count: int
    # Read so the runner can say it does not emulate it (the SNS body format is undocumented).
    include_inference_response_in: tuple[str, ...]

    @property
    def account_id(self) -> str:
        return self.endpoint_arn.split(":")[4]


def read_async_endpoint_config(sagemaker_client: Any, endpoint_name: str) -> AsyncEndpointConfig:
    """Describe the endpoint and its config; raises botocore's ClientError if it does not exist."""
    endpoint = sagemaker_client.describe_endpoint(EndpointName=endpoint_name)
    config = sagemaker_client.describe_endpoint_config(
        EndpointConfigName=endpoint["EndpointConfigName"]
    )
    async_config = config.get("AsyncInferenceConfig")
    if not async_config:
        raise NotAnAsyncEndpointError(
            f"endpoint {endpoint_name!r} has no AsyncInferenceConfig in its endpoint config "
            f"{endpoint['EndpointConfigName']!r}"
        )
    output = async_config["OutputConfig"]
    notifications = output.get("NotificationConfig", {})
    client_config = async_config.get("ClientConfig", {})
    failure_path = output.get("S3FailurePath")
    # Asynchronous endpoints have exactly one production variant.
    variant = config["ProductionVariants"][0]
    return AsyncEndpointConfig(
        endpoint_name=endpoint_name,
        endpoint_arn=endpoint["EndpointArn"],
        s3_output_path=S3Uri.parse(output["S3OutputPath"]),
        s3_failure_path=S3Uri.parse(failure_path) if failure_path else None,
        success_topic=notifications.get("SuccessTopic") or None,
        error_topic=notifications.get("ErrorTopic") or None,
        max_concurrent_invocations_per_instance=client_config.get(
            "MaxConcurrentInvocationsPerInstance",
            DEFAULT_MAX_CONCURRENT_INVOCATIONS_PER_INSTANCE,
        ),
        instance_count=variant.get("InitialInstanceCount", DEFAULT_INSTANCE_COUNT),
        include_inference_response_in=tuple(notifications.get("IncludeInferenceResponseIn", ())),
    )
