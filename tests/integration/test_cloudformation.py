"""The deployable templates, checked without AWS: cfn-lint on every template (as written and
as deployed), and the core template deployed into moto's CloudFormation.

moto's CloudFormation (LOCAL-AWS.md) drops a bucket's NotificationConfiguration and skips
queue policies, SNS subscriptions, Application Auto Scaling and CloudWatch alarms. For those the test does what
CloudFormation does on AWS: it resolves the template's own properties against the stack's
physical resources and makes the API calls, so botocore validates their shapes and the
wiring is exercised (an upload reaches its queue)."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import boto3
import pytest

from deploy.package import ROOT, core_template, queue_placeholders, stack_template
from deploy.template import Resolver, load
from devstack.provision import s3_notifications

REGION = "us-east-1"
STACK = "hark-cfn"
# Resource types moto's CloudFormation skips with a warning; created below through the APIs
# where it matters (queue policies are not enforced by moto at all).
MOTO_SKIPS = {
    "AWS::SQS::QueuePolicy",
    "AWS::SNS::Subscription",
    "AWS::ApplicationAutoScaling::ScalableTarget",
    "AWS::ApplicationAutoScaling::ScalingPolicy",
    "AWS::CloudWatch::Alarm",
}
TEMPLATES = sorted((ROOT / "infra").rglob("*.yaml"))  # every template, so a new one is linted too


def cfn_lint(path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-c", "import sys; from cfnlint.runner import main; sys.exit(main())", str(path)],
        capture_output=True, text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_cfn_lint_passes_on_the_templates_as_written(path: Path) -> None:
    cfn_lint(path)


def test_cfn_lint_passes_on_the_deployed_template_with_its_state_machines(tmp_path: Path, chalice_sam: dict[str, Any]) -> None:
    """What `make deploy` sends: the ASL inlined (so cfn-lint validates the state machines)
    and the Chalice functions merged in (SAM, which cfn-lint transforms first)."""
    path = tmp_path / "stack.json"
    path.write_text(json.dumps(stack_template(core_template(), chalice_sam, "s3://artifacts/app.zip")))
    cfn_lint(path)


def test_every_chalice_function_gets_the_stack_environment_role_and_queues(chalice_sam: dict[str, Any]) -> None:
    core = core_template()
    merged = stack_template(core, chalice_sam, "s3://artifacts/app.zip")
    functions = {k: v["Properties"] for k, v in merged["Resources"].items() if v["Type"] == "AWS::Serverless::Function"}
    assert len(functions) >= 9  # the API and the eight queue handlers
    for properties in functions.values():
        assert properties["Role"] == {"Fn::GetAtt": ["FunctionRole", "Arn"]}
        assert properties["CodeUri"] == "s3://artifacts/app.zip"
        assert properties["Environment"]["Variables"]["HARK_KEYS_TABLE"] == {"Ref": "KeysTable"}
    bound = {
        event["Properties"]["Queue"]["Fn::GetAtt"][0]
        for properties in functions.values()
        for event in properties.get("Events", {}).values()
        if event["Type"] == "SQS"
    }
    assert bound == set(queue_placeholders(core).values())
    role = json.dumps(core["Resources"]["FunctionRole"])
    assert all(queue in role for queue in bound), "the role must let Lambda read every bound queue"


def test_api_gateways_own_answers_use_the_apis_error_shape(chalice_sam: dict[str, Any]) -> None:
    merged = stack_template(core_template(), chalice_sam, "s3://artifacts/app.zip")
    responses = merged["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["x-amazon-apigateway-gateway-responses"]
    # An unknown route is a 404 with {"error"}, not a 403 about signatures.
    assert responses["MISSING_AUTHENTICATION_TOKEN"]["statusCode"] == 404
    for response in responses.values():
        assert response["responseTemplates"]["application/json"].startswith('{"error": ')


def test_iam_roles_grant_no_wildcard_actions() -> None:
    for logical, spec in load()["Resources"].items():
        if spec["Type"] != "AWS::IAM::Role":
            continue
        for policy in spec["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                assert not [a for a in actions if "*" in a], f"{logical} grants a wildcard action"
                if statement["Resource"] == "*":
                    assert all(a.startswith("xray:") for a in actions), f"{logical} grants {actions} on every resource"


@pytest.fixture()
def aws(mocked_aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


# moto warns again for the skipped types each time it reads the stack back; they are checked once below.
@pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning")
def test_the_core_template_deploys_into_moto_cloudformation(aws: None) -> None:
    template = core_template()
    cfn = client("cloudformation")
    with warnings.catch_warnings(record=True) as skipped:
        warnings.simplefilter("always")
        cfn.create_stack(StackName=STACK, TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_IAM"])
    assert {re.search(r"parse (\S+)", str(w.message)).group(1) for w in skipped} == MOTO_SKIPS  # type: ignore[union-attr]
    stack = cfn.describe_stacks(StackName=STACK)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    summaries = cfn.list_stack_resources(StackName=STACK)["StackResourceSummaries"]
    physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in summaries if r["LogicalResourceId"]}
    resources = template["Resources"]

    def of_type(kind: str) -> list[str]:
        return [k for k, v in resources.items() if v["Type"] == kind]

    tables = set(client("dynamodb").list_tables()["TableNames"])
    assert {physical[t] for t in of_type("AWS::DynamoDB::Table")} == tables
    assert {outputs[t] for t in ("KeysTable", "TranscriptsTable", "ModelsTable", "IdempotencyTable", "AdmissionTable")} == tables

    buckets = {b["Name"] for b in client("s3").list_buckets()["Buckets"]}
    assert {physical[b] for b in of_type("AWS::S3::Bucket")} == buckets
    assert {outputs["MediaBucket"], outputs["AsyncBucket"], outputs["CorporaBucket"], outputs["DropBucket"]} == buckets

    sqs = client("sqs")
    arns = {q: sqs.get_queue_attributes(QueueUrl=physical[q], AttributeNames=["All"])["Attributes"] for q in of_type("AWS::SQS::Queue")}
    dead_letter = {q for q in arns if q.endswith("DeadLetterQueue")}
    for queue, attributes in arns.items():
        if queue not in dead_letter:  # every working queue has its own dead-letter queue
            target = json.loads(attributes["RedrivePolicy"])["deadLetterTargetArn"]
            assert target == arns[queue.removesuffix("Queue") + "DeadLetterQueue"]["QueueArn"]

    events = client("events")
    bus = events.describe_event_bus(Name=f"{STACK}-events")["Arn"]
    finished = events.list_targets_by_rule(Rule=physical["TranscriptFinishedRule"], EventBusName=bus)["Targets"]
    assert finished[0]["Arn"] == arns["NotificationsQueue"]["QueueArn"]
    training = events.list_targets_by_rule(Rule=physical["TrainingStateChangeRule"])["Targets"]
    assert training[0]["Arn"] == arns["TrainingEventsQueue"]["QueueArn"]

    sfn = client("stepfunctions")
    for machine in of_type("AWS::StepFunctions::StateMachine"):
        assert sfn.describe_state_machine(stateMachineArn=physical[machine])["name"] == resources[machine]["Properties"]["StateMachineName"]["Fn::Sub"].replace("${AWS::StackName}", STACK)
    assert outputs["TranscriptStateMachineArn"] == physical["TranscriptStateMachine"]

    sagemaker = client("sagemaker")
    endpoint = sagemaker.describe_endpoint(EndpointName=outputs["InferenceEndpoint"])
    config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    notify = config["AsyncInferenceConfig"]["OutputConfig"]["NotificationConfig"]
    assert {notify["SuccessTopic"], notify["ErrorTopic"]} == {physical["InferenceSuccessTopic"], physical["InferenceErrorTopic"]}

    queue_arns = {q: {"Arn": a["QueueArn"]} for q, a in arns.items()}
    resolve = Resolver(physical, queue_arns)
    apply_bucket_notifications(template, physical, resolve)
    assert_upload_reaches_queue(physical["DropBucket"], "acme/inbox/call.wav", physical["DropUploadsQueue"])
    assert_upload_reaches_queue(physical["CorporaBucket"], "corpora/acme/m1/corpus.json", physical["CorpusUploadsQueue"])

    for logical in of_type("AWS::SNS::Subscription"):
        subscription = resolve(resources[logical]["Properties"])
        client("sns").subscribe(TopicArn=subscription["TopicArn"], Protocol=subscription["Protocol"], Endpoint=subscription["Endpoint"])
    for topic in ("InferenceSuccessTopic", "InferenceErrorTopic"):  # both reach the results handler
        client("sns").publish(TopicArn=physical[topic], Message=json.dumps({"inferenceId": topic}))
    delivered = sqs.receive_message(QueueUrl=physical["InferenceResultsQueue"], MaxNumberOfMessages=10)["Messages"]
    assert sorted(json.loads(json.loads(m["Body"])["Message"])["inferenceId"] for m in delivered) == ["InferenceErrorTopic", "InferenceSuccessTopic"]

    apply_autoscaling(template, outputs["InferenceEndpoint"])


def apply_bucket_notifications(template: dict[str, Any], physical: dict[str, str], resolve: Resolver) -> None:
    for logical, spec in template["Resources"].items():
        notifications = spec.get("Properties", {}).get("NotificationConfiguration")
        if spec["Type"] == "AWS::S3::Bucket" and notifications:
            client("s3").put_bucket_notification_configuration(
                Bucket=physical[logical], NotificationConfiguration=s3_notifications(resolve(notifications))
            )


def assert_upload_reaches_queue(bucket: str, key: str, queue_url: str) -> None:
    sqs = client("sqs")
    sqs.purge_queue(QueueUrl=queue_url)  # S3's test event
    client("s3").put_object(Bucket=bucket, Key=key, Body=b"x")
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    records = [r for m in messages for r in json.loads(m["Body"]).get("Records", [])]
    assert [unquote_plus(r["s3"]["object"]["key"]) for r in records] == [key]  # S3 URL-encodes keys


def apply_autoscaling(template: dict[str, Any], endpoint: str) -> None:
    """The scale-to-zero resources, created through the APIs from the template's properties."""
    resources = template["Resources"]
    values = {name: spec.get("Default") for name, spec in template["Parameters"].items()}
    values.update({"AWS::StackName": STACK})
    resolve = Resolver(values, {"InferenceEndpoint": {"EndpointName": endpoint}})
    scaling = client("application-autoscaling")
    target = resolve(resources["InferenceScalableTarget"]["Properties"])
    assert target["MinCapacity"] == 0, "the endpoint must scale in to zero"
    scaling.register_scalable_target(**{**target, "MaxCapacity": int(target["MaxCapacity"])})
    dimension = {k: target[k] for k in ("ServiceNamespace", "ResourceId", "ScalableDimension")}
    policies = {}
    for logical, spec in resources.items():
        if spec["Type"] == "AWS::ApplicationAutoScaling::ScalingPolicy":
            properties = resolve({k: v for k, v in spec["Properties"].items() if k != "ScalingTargetId"})
            if "TargetTrackingScalingPolicyConfiguration" in properties:
                tracking = properties["TargetTrackingScalingPolicyConfiguration"]
                tracking["TargetValue"] = float(tracking["TargetValue"])
                assert tracking["CustomizedMetricSpecification"]["MetricName"] == "ApproximateBacklogSizePerInstance"
            policies[logical] = scaling.put_scaling_policy(**properties, **dimension)["PolicyARN"]
    values.update(policies)
    alarm = resolve(resources["InferenceBacklogWithoutCapacityAlarm"]["Properties"])
    assert alarm["MetricName"] == "HasBacklogWithoutCapacity"
    client("cloudwatch").put_metric_alarm(AlarmName=f"{STACK}-from-zero", **alarm)
    step = resources["InferenceScaleFromZeroPolicy"]["Properties"]["StepScalingPolicyConfiguration"]
    assert step["StepAdjustments"] == [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}]
    assert alarm["AlarmActions"] == [policies["InferenceScaleFromZeroPolicy"]]
    assert len(scaling.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]) == 2
