"""The local runner behaves like a SageMaker async endpoint, seen through boto3, S3, SNS and SQS."""

from __future__ import annotations

import json
import re
import sys
from typing import Any

import pytest
from botocore.exceptions import ClientError

from devstack.sagemaker import (
    AwsClients,
    ContainerSpec,
    LocalEndpoint,
    LocalSageMakerRunner,
    WorkerStartupError,
)
from devstack.sagemaker.processing import WORKER_STOPPED_REASON

from .support import BUCKET, ENDPOINT, REGION, AsyncEndpointStack

EVENT_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def _read(clients: AwsClients, uri: str) -> bytes:
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    return bytes(clients.s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def _invoke(runtime: Any, input_location: str, inference_id: str, **extra: Any) -> dict[str, Any]:
    response: dict[str, Any] = runtime.invoke_endpoint_async(
        EndpointName=ENDPOINT,
        InputLocation=input_location,
        ContentType="application/json",
        InferenceId=inference_id,
        **extra,
    )
    return response


def _pid_of_successful_request(
    runtime: Any, put_input: Any, stack: AsyncEndpointStack, clients: AwsClients, name: str
) -> int:
    _invoke(runtime, put_input('{"audio": "fine"}'), name)
    message = stack.success.wait_for(name)
    return int(json.loads(_read(clients, message["responseParameters"]["outputLocation"]))["pid"])


def test_success_writes_the_output_and_publishes_the_documented_notification(
    runtime: Any, put_input: Any, stack: AsyncEndpointStack, clients: AwsClients
) -> None:
    input_location = put_input('{"audio": "s3://somewhere/a.wav"}')

    response = _invoke(
        runtime, input_location, "job-success", Accept="application/json", CustomAttributes="t=1"
    )

    assert response["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert response["InferenceId"] == "job-success"
    assert re.fullmatch(rf"{stack.output_path}/{UUID}\.out", response["OutputLocation"])
    assert re.fullmatch(rf"{stack.failure_path}/{UUID}-error\.out", response["FailureLocation"])
    message = stack.success.wait_for("job-success")
    assert list(message) == [
        "awsRegion",
        "eventTime",
        "receivedTime",
        "invocationStatus",
        "requestParameters",
        "responseParameters",
        "inferenceId",
        "eventVersion",
        "eventSource",
        "eventName",
    ]
    assert message["awsRegion"] == REGION
    assert EVENT_TIME.match(message["eventTime"]) and EVENT_TIME.match(message["receivedTime"])
    assert message["receivedTime"] <= message["eventTime"]
    assert message["invocationStatus"] == "Completed"
    assert message["requestParameters"] == {
        "accept": "application/json",
        "contentType": "application/json",
        "customAttributes": "t=1",
        "endpointName": ENDPOINT,
        "inputLocation": input_location,
    }
    assert message["responseParameters"] == {
        "contentType": "application/json",
        "outputLocation": response["OutputLocation"],
    }
    assert (message["eventVersion"], message["eventSource"], message["eventName"]) == (
        "1.0",
        "aws:sagemaker",
        "InferenceResult",
    )
    output = json.loads(_read(clients, response["OutputLocation"]))
    assert output["echo"] == '{"audio": "s3://somewhere/a.wav"}'
    assert output["content_type"] == "application/json"
    assert output["accept"] == "application/json"
    assert output["custom_attributes"] == "t=1"
    assert not stack.errors.has("job-success")


def test_a_model_error_is_a_failure_whose_object_holds_the_models_message(
    runtime: Any, put_input: Any, stack: AsyncEndpointStack, clients: AwsClients
) -> None:
    response = _invoke(runtime, put_input('{"audio": "bad"}'), "job-bad")

    message = stack.errors.wait_for("job-bad")
    assert message["invocationStatus"] == "Failed"
    assert message["failureReason"] == (
        "ClientError: Received client error (400) from model. "
        "See the SageMaker Endpoint logs in your account for more information."
    )
    assert message["responseParameters"] == {
        "contentType": "application/json",
        "failureLocation": response["FailureLocation"],
    }
    assert json.loads(_read(clients, response["FailureLocation"])) == {"error": "the input is bad"}
    assert message["eventName"] == "InferenceResult"
    assert not stack.success.has("job-bad")


def test_a_model_server_error_is_reported_as_such(
    runtime: Any, put_input: Any, stack: AsyncEndpointStack
) -> None:
    _invoke(runtime, put_input('{"audio": "boom"}'), "job-boom")

    reason = stack.errors.wait_for("job-boom")["failureReason"]
    assert reason.startswith("ClientError: Received server error (500) from model.")


def test_a_crashed_worker_fails_its_request_and_is_restarted(
    runtime: Any, put_input: Any, stack: AsyncEndpointStack, clients: AwsClients
) -> None:
    pid_before = _pid_of_successful_request(runtime, put_input, stack, clients, "before-crash")

    response = _invoke(runtime, put_input('{"audio": "crash"}'), "job-crash")

    message = stack.errors.wait_for("job-crash")
    assert message["failureReason"] == WORKER_STOPPED_REASON
    assert message["responseParameters"] == {"failureLocation": response["FailureLocation"]}
    assert json.loads(_read(clients, response["FailureLocation"])) == {
        "error": WORKER_STOPPED_REASON
    }
    pid_after = _pid_of_successful_request(runtime, put_input, stack, clients, "after-crash")
    assert pid_after != pid_before


def test_a_request_past_its_timeout_fails_and_the_worker_comes_back(
    runtime: Any, put_input: Any, stack: AsyncEndpointStack, clients: AwsClients
) -> None:
    _invoke(runtime, put_input('{"audio": "slow"}'), "job-slow", InvocationTimeoutSeconds=1)

    assert stack.errors.wait_for("job-slow")["failureReason"] == "inference timed out after 1 s"
    _pid_of_successful_request(runtime, put_input, stack, clients, "after-timeout")


def test_requests_beyond_the_concurrency_wait_in_the_queue(
    runtime: Any, put_input: Any, stack: AsyncEndpointStack
) -> None:
    names = [f"queued-{index}" for index in range(5)]
    for name in names:
        _invoke(runtime, put_input(f'{{"n": "{name}"}}'), name)

    for name in names:
        assert stack.success.wait_for(name)["invocationStatus"] == "Completed"


def test_a_missing_input_object_is_a_failure(runtime: Any, stack: AsyncEndpointStack) -> None:
    _invoke(runtime, f"s3://{BUCKET}/async/in/not-there.json", "job-missing-input")

    reason = stack.errors.wait_for("job-missing-input")["failureReason"]
    assert "not-there.json" in reason


def test_an_unknown_endpoint_is_a_validation_error(runtime: Any, put_input: Any) -> None:
    with pytest.raises(ClientError) as raised:
        runtime.invoke_endpoint_async(
            EndpointName="no-such-endpoint", InputLocation=put_input("{}")
        )

    error = raised.value.response
    assert error["Error"]["Code"] == "ValidationError"
    assert error["Error"]["Message"] == (
        "Endpoint no-such-endpoint of account 123456789012 not found."
    )
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_an_out_of_range_timeout_is_a_validation_error(runtime: Any, put_input: Any) -> None:
    with pytest.raises(ClientError) as raised:
        _invoke(runtime, put_input("{}"), "job-too-long", InvocationTimeoutSeconds=3601)

    assert raised.value.response["Error"]["Code"] == "ValidationError"


def test_the_runner_reports_its_address(runner: LocalSageMakerRunner) -> None:
    assert runner.endpoint_url == f"http://127.0.0.1:{runner.port}"


def test_start_fails_when_the_container_dies_before_it_is_healthy(
    clients: AwsClients, stack: AsyncEndpointStack
) -> None:
    dying = ContainerSpec(
        command=(sys.executable, "-c", "raise SystemExit(2)"), startup_timeout_s=5
    )
    runner = LocalSageMakerRunner([LocalEndpoint(ENDPOINT, dying)], clients)

    with pytest.raises(WorkerStartupError, match="exited with code 2"):
        runner.start()
