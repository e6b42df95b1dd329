"""Creates infra/template.yaml's resources in moto through the AWS APIs, in dependency
order. moto's own CloudFormation drops bucket notifications and hides state machines once
execution is on (see LOCAL-AWS.md), so the local stack walks the template itself: the
template stays the one list of resources and their wiring."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any, Callable

from deploy.template import TEMPLATE, Resolver, environment_name, load, references

log = logging.getLogger(__name__)
ACCOUNT = "123456789012"  # moto's account


@dataclass
class Stack:
    name: str
    region: str
    outputs: dict[str, Any]
    resources: dict[str, Any]  # logical id → Ref value

    def environment(self) -> dict[str, str]:
        """Outputs as the Lambda environment."""
        return {environment_name(k): str(v) for k, v in self.outputs.items()}


Created = tuple[Any, dict[str, Any]]  # (Ref value, attributes)


class Provisioner:
    def __init__(self, client: Callable[[str], Any], stack_name: str, region: str, template_path: Path = TEMPLATE) -> None:
        self._client = client
        self._stack = stack_name
        self._region = region
        self._dir = template_path.parent
        self._template = load(template_path)

    def create(self, parameters: dict[str, str] | None = None) -> Stack:
        values: dict[str, Any] = {
            "AWS::StackName": self._stack,
            "AWS::Region": self._region,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }
        for name, spec in self._template.get("Parameters", {}).items():
            values[name] = (parameters or {}).get(name, spec.get("Default"))
        attributes: dict[str, dict[str, Any]] = {}
        resolve = Resolver(values, attributes)
        resolve.evaluate_conditions(self._template.get("Conditions", {}))
        resources = self._template["Resources"]
        graph = {
            logical: (references(spec.get("Properties", {})) | set(_as_list(spec.get("DependsOn")))) & resources.keys()
            for logical, spec in resources.items()
        }
        for logical in TopologicalSorter(graph).static_order():
            spec = resources[logical]
            create = getattr(self, "_" + spec["Type"].replace("::", "_").lower(), None)
            if create is None:
                log.debug("local stack skips %s (%s)", logical, spec["Type"])
                continue
            ref, attrs = create(logical, resolve(spec.get("Properties", {})))
            values[logical] = ref
            attributes[logical] = attrs
        outputs = {k: resolve(v["Value"]) for k, v in self._template.get("Outputs", {}).items()}
        return Stack(self._stack, self._region, outputs, {k: values[k] for k in resources if k in values})

    def _arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self._region}:{ACCOUNT}:{resource}"

    def _aws_dynamodb_table(self, logical: str, p: dict[str, Any]) -> Created:
        db = self._client("dynamodb")
        kwargs = {k: p[k] for k in ("TableName", "KeySchema", "AttributeDefinitions", "BillingMode", "GlobalSecondaryIndexes") if k in p}
        arn = db.create_table(**kwargs)["TableDescription"]["TableArn"]
        if "TimeToLiveSpecification" in p:
            db.update_time_to_live(TableName=p["TableName"], TimeToLiveSpecification=p["TimeToLiveSpecification"])
        return p["TableName"], {"Arn": arn}

    def _aws_s3_bucket(self, logical: str, p: dict[str, Any]) -> Created:
        s3 = self._client("s3")
        name = p["BucketName"]
        s3.create_bucket(Bucket=name)
        notifications = p.get("NotificationConfiguration")
        if notifications:
            s3.put_bucket_notification_configuration(Bucket=name, NotificationConfiguration=s3_notifications(notifications))
        return name, {"Arn": f"arn:aws:s3:::{name}", "DomainName": f"{name}.s3.amazonaws.com"}

    def _aws_sqs_queue(self, logical: str, p: dict[str, Any]) -> Created:
        name = p.get("QueueName", f"{self._stack}-{logical}")
        attributes = {
            k: (json.dumps(v) if isinstance(v, dict) else str(v))
            for k, v in p.items()
            if k in ("VisibilityTimeout", "MessageRetentionPeriod", "RedrivePolicy", "DelaySeconds", "ReceiveMessageWaitTimeSeconds")
        }
        url = self._client("sqs").create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        return url, {"Arn": self._arn("sqs", name), "QueueName": name, "QueueUrl": url}

    def _aws_sns_topic(self, logical: str, p: dict[str, Any]) -> Created:
        name = p.get("TopicName", f"{self._stack}-{logical}")
        arn = self._client("sns").create_topic(Name=name)["TopicArn"]
        return arn, {"TopicArn": arn, "TopicName": name}

    def _aws_sns_subscription(self, logical: str, p: dict[str, Any]) -> Created:
        attrs = {"RawMessageDelivery": str(p["RawMessageDelivery"]).lower()} if "RawMessageDelivery" in p else {}
        arn = self._client("sns").subscribe(
            TopicArn=p["TopicArn"], Protocol=p["Protocol"], Endpoint=p["Endpoint"], Attributes=attrs
        )["SubscriptionArn"]
        return arn, {}

    def _aws_events_eventbus(self, logical: str, p: dict[str, Any]) -> Created:
        arn = self._client("events").create_event_bus(Name=p["Name"])["EventBusArn"]
        return p["Name"], {"Arn": arn, "Name": p["Name"]}

    def _aws_events_rule(self, logical: str, p: dict[str, Any]) -> Created:
        events = self._client("events")
        bus = p.get("EventBusName", "default")
        arn = events.put_rule(Name=p["Name"], EventPattern=json.dumps(p["EventPattern"]), EventBusName=bus, State="ENABLED")[
            "RuleArn"
        ]
        targets = [{k: t[k] for k in ("Id", "Arn", "InputTransformer") if k in t} for t in p.get("Targets", [])]
        if targets:
            events.put_targets(Rule=p["Name"], EventBusName=bus, Targets=targets)
        return p["Name"], {"Arn": arn}

    def _aws_iam_role(self, logical: str, p: dict[str, Any]) -> Created:
        name = p.get("RoleName", f"{self._stack}-{logical}")
        role = self._client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(p["AssumeRolePolicyDocument"]))
        return name, {"Arn": role["Role"]["Arn"], "RoleId": role["Role"]["RoleId"]}

    def _aws_stepfunctions_statemachine(self, logical: str, p: dict[str, Any]) -> Created:
        if "DefinitionS3Location" in p:
            definition = (self._dir / p["DefinitionS3Location"]).read_text()
        else:
            definition = json.dumps(p["Definition"])
        for key, value in p.get("DefinitionSubstitutions", {}).items():
            definition = definition.replace("${" + key + "}", str(value))
        name = p.get("StateMachineName", f"{self._stack}-{logical}")
        arn = self._client("stepfunctions").create_state_machine(name=name, definition=definition, roleArn=p["RoleArn"])[
            "stateMachineArn"
        ]
        return arn, {"Arn": arn, "Name": name}

    def _aws_sagemaker_model(self, logical: str, p: dict[str, Any]) -> Created:
        name = p.get("ModelName", f"{self._stack}-{logical}")
        arn = self._client("sagemaker").create_model(
            ModelName=name, PrimaryContainer=p["PrimaryContainer"], ExecutionRoleArn=p["ExecutionRoleArn"]
        )["ModelArn"]
        return arn, {"ModelName": name}

    def _aws_sagemaker_endpointconfig(self, logical: str, p: dict[str, Any]) -> Created:
        name = p.get("EndpointConfigName", f"{self._stack}-{logical}")
        kwargs = {k: p[k] for k in ("ProductionVariants", "AsyncInferenceConfig") if k in p}
        arn = self._client("sagemaker").create_endpoint_config(EndpointConfigName=name, **_ints(kwargs))["EndpointConfigArn"]
        return arn, {"EndpointConfigName": name}

    def _aws_sagemaker_endpoint(self, logical: str, p: dict[str, Any]) -> Created:
        name = p.get("EndpointName", f"{self._stack}-{logical}")
        arn = self._client("sagemaker").create_endpoint(EndpointName=name, EndpointConfigName=p["EndpointConfigName"])[
            "EndpointArn"
        ]
        return arn, {"EndpointName": name}


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _ints(node: Any) -> Any:
    """CloudFormation passes numeric parameters as strings; the APIs want numbers."""
    if isinstance(node, dict):
        return {k: _ints(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_ints(v) for v in node]
    if isinstance(node, str) and node.isdigit():
        return int(node)
    return node


def s3_notifications(spec: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's notification shape → the S3 API's."""
    out: dict[str, Any] = {}
    for cfn_key, api_key, target in (
        ("QueueConfigurations", "QueueConfigurations", "Queue"),
        ("TopicConfigurations", "TopicConfigurations", "Topic"),
    ):
        for item in spec.get(cfn_key, []):
            entry: dict[str, Any] = {f"{target}Arn": item[target], "Events": [item["Event"]]}
            rules = item.get("Filter", {}).get("S3Key", {}).get("Rules")
            if rules:
                entry["Filter"] = {"Key": {"FilterRules": rules}}
            out.setdefault(api_key, []).append(entry)
    if "EventBridgeConfiguration" in spec:
        out["EventBridgeConfiguration"] = {}
    return out
