"""moto in server mode, an async endpoint defined in it, and the local runner serving it."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from devstack.sagemaker import (
    AwsClients,
    ContainerSpec,
    LocalEndpoint,
    LocalSageMakerRunner,
    make_aws_clients,
)

from .support import (
    BUCKET,
    ENDPOINT,
    FAKE_CONTAINER,
    REGION,
    AsyncEndpointStack,
    subscribed_queue,
)


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    with pytest.MonkeyPatch.context() as env:
        # moto accepts any credentials; these keep boto3 from looking for real ones.
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.delenv("AWS_SESSION_TOKEN", raising=False)
        env.delenv("AWS_PROFILE", raising=False)
        env.setenv("AWS_DEFAULT_REGION", REGION)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        try:
            yield f"http://{host}:{port}"
        finally:
            server.stop()


@pytest.fixture(scope="session")
def clients(moto_url: str) -> AwsClients:
    return make_aws_clients(moto_url, REGION)


@pytest.fixture(scope="session")
def stack(moto_url: str, clients: AwsClients) -> AsyncEndpointStack:
    """What the infrastructure would create: bucket, topics, queues, model, async endpoint."""
    sqs = boto3.client("sqs", endpoint_url=moto_url, region_name=REGION)
    clients.s3.create_bucket(Bucket=BUCKET)
    success_topic = clients.sns.create_topic(Name="hark-asr-success")["TopicArn"]
    error_topic = clients.sns.create_topic(Name="hark-asr-error")["TopicArn"]
    output_path = f"s3://{BUCKET}/async/out"
    failure_path = f"s3://{BUCKET}/async/failures"
    clients.sagemaker.create_model(
        ModelName="hark-asr-test",
        ExecutionRoleArn="arn:aws:iam::123456789012:role/hark-sagemaker",
        PrimaryContainer={"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/hark-asr:test"},
    )
    clients.sagemaker.create_endpoint_config(
        EndpointConfigName="hark-asr-test-config",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": "hark-asr-test",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
        ],
        AsyncInferenceConfig={
            "ClientConfig": {"MaxConcurrentInvocationsPerInstance": 2},
            "OutputConfig": {
                "S3OutputPath": output_path,
                "S3FailurePath": failure_path,
                "NotificationConfig": {"SuccessTopic": success_topic, "ErrorTopic": error_topic},
            },
        },
    )
    clients.sagemaker.create_endpoint(
        EndpointName=ENDPOINT, EndpointConfigName="hark-asr-test-config"
    )
    return AsyncEndpointStack(
        success=subscribed_queue(clients.sns, sqs, success_topic, "hark-asr-success"),
        errors=subscribed_queue(clients.sns, sqs, error_topic, "hark-asr-error"),
        output_path=output_path,
        failure_path=failure_path,
    )


@pytest.fixture(scope="session")
def runner(clients: AwsClients, stack: AsyncEndpointStack) -> Iterator[LocalSageMakerRunner]:
    container = ContainerSpec(
        command=(sys.executable, str(FAKE_CONTAINER), "--host", "127.0.0.1", "--port", "{port}"),
        startup_timeout_s=10,
    )
    with LocalSageMakerRunner([LocalEndpoint(ENDPOINT, container)], clients) as started:
        yield started


@pytest.fixture()
def runtime(runner: LocalSageMakerRunner, moto_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A sagemaker-runtime client configured the way the application's is: by environment only."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", runner.endpoint_url)
    return boto3.client("sagemaker-runtime", region_name=REGION)


@pytest.fixture()
def put_input(clients: AwsClients) -> Any:
    counter = iter(range(1_000_000))

    def put(body: str) -> str:
        key = f"async/in/{next(counter)}-{time.monotonic_ns()}.json"
        clients.s3.put_object(Bucket=BUCKET, Key=key, Body=body.encode())
        return f"s3://{BUCKET}/{key}"

    return put
