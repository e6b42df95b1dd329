"""What CloudFormation deploys, built without an AWS account: one stack template made of
infra/template.yaml (state machines inlined) and the Chalice app as `chalice package` emits it
(SAM), plus the Lambda deployment package.

The Chalice functions get their environment from the template's Outputs (the same rule the
local stack uses), the template's FunctionRole, and event sources bound to the template's
queues by reference, so CloudFormation creates each queue before its event source mapping.
"""
from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

from deploy.template import TEMPLATE, environment_name, load

ROOT = TEMPLATE.parent.parent
# The Lambda Python runtime ships the AWS SDK. It reaches the package only as a dependency of
# aws-xray-sdk (botocore alone is about 12 MB zipped), and a second, different botocore next
# to the runtime's boto3 would only risk a mismatch.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer")
CORE = "hark_core"
FUNCTION_ROLE = "FunctionRole"
REST_API = "RestAPI"  # the logical id `chalice package` gives the API
# API Gateway's own answers (no route, a body it refused, throttling), in the API's error shape
# ({"error": "..."}, as AssemblyAI's) instead of its defaults: a route that does not exist
# answers 403 "Missing Authentication Token" with a SigV4 hint. Part of the API's definition,
# so they deploy with it.
GATEWAY_RESPONSES = {
    "MISSING_AUTHENTICATION_TOKEN": {
        "statusCode": 404,
        "responseTemplates": {"application/json": '{"error": "no such route: $context.httpMethod $context.path"}'},
    },
    "DEFAULT_4XX": {"responseTemplates": {"application/json": '{"error": $context.error.messageString}'}},
    "DEFAULT_5XX": {"responseTemplates": {"application/json": '{"error": $context.error.messageString}'}},
}


def core_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """infra/template.yaml with each state machine's ASL file inlined as its Definition, which
    CloudFormation accepts with DefinitionSubstitutions as it does an S3 location, and which
    cfn-lint validates (it cannot see into a file or a string)."""
    template = load(path)
    for spec in template["Resources"].values():
        properties = spec.get("Properties", {})
        if spec["Type"] == "AWS::StepFunctions::StateMachine" and isinstance(properties.get("DefinitionS3Location"), str):
            properties["Definition"] = json.loads((path.parent / properties.pop("DefinitionS3Location")).read_text())
            spec.pop("Metadata", None)  # only silenced the warning about the local path
    return template


def queue_placeholders(template: dict[str, Any]) -> dict[str, str]:
    """Values for the queue variables the app reads at import time (its SQS decorators):
    each is the queue's logical id, which `bind_queues` then turns into a reference."""
    return {
        environment_name(name): output["Value"]["Fn::GetAtt"][0]
        for name, output in template.get("Outputs", {}).items()
        if isinstance(output["Value"], dict) and output["Value"].get("Fn::GetAtt", [None, None])[1] == "QueueName"
    }


def chalice_package(stage: str, out_dir: Path, template: dict[str, Any], project_dir: Path = ROOT) -> tuple[dict[str, Any], Path]:
    """Runs `chalice package` for a stage; returns its SAM template and the slimmed zip."""
    env = {**os.environ, **queue_placeholders(template)}
    # chalice needs a region to pick ARNs' partition; the template itself is region-free.
    env.setdefault("AWS_DEFAULT_REGION", env.get("AWS_REGION", "us-east-1"))
    subprocess.run(
        [sys.executable, "-c", "from chalice.cli import main; main()", "package", "--stage", stage, str(out_dir)],
        cwd=project_dir, env=env, check=True,
    )
    sam = json.loads((out_dir / "sam.json").read_text())
    return sam, finish(out_dir / "deployment.zip", project_dir)


def finish(package: Path, project_dir: Path = ROOT) -> Path:
    """Rewrites the zip without the packages the Lambda runtime provides, and with `hark_core`
    (the contract the API shares with the containers), which `chalice package` leaves out: it
    packages only app.py, chalicelib/ and the requirements."""
    slimmed = package.with_name(package.stem + "-slim.zip")
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(slimmed, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            top = item.filename.split("/", 1)[0]
            if top.split("-", 1)[0] not in RUNTIME_PROVIDED:
                target.writestr(item, source.read(item))
        for module in sorted((project_dir / CORE).rglob("*.py")):
            target.write(module, module.relative_to(project_dir).as_posix())
    slimmed.replace(package)
    return package


def stack_template(core: dict[str, Any], sam: dict[str, Any], code_uri: str) -> dict[str, Any]:
    """One template: the core resources and the Chalice functions wired to them."""
    clash = core["Resources"].keys() & sam["Resources"].keys()
    if clash:
        raise ValueError(f"infra/template.yaml and the Chalice app both define {sorted(clash)}")
    merged = copy.deepcopy(core)
    merged["Transform"] = sam["Transform"]
    merged["Resources"].update(copy.deepcopy(sam["Resources"]))
    merged["Outputs"] = {**core.get("Outputs", {}), **sam.get("Outputs", {})}
    api = merged["Resources"].get(REST_API, {}).get("Properties", {}).get("DefinitionBody")
    if api is not None:
        api["x-amazon-apigateway-gateway-responses"] = copy.deepcopy(GATEWAY_RESPONSES)
    environment = {environment_name(name): output["Value"] for name, output in core.get("Outputs", {}).items()}
    for spec in merged["Resources"].values():
        if spec["Type"] != "AWS::Serverless::Function":
            continue
        properties = spec["Properties"]
        properties["CodeUri"] = code_uri
        properties["Role"] = {"Fn::GetAtt": [FUNCTION_ROLE, "Arn"]}
        properties.setdefault("Environment", {}).setdefault("Variables", {}).update(environment)
        bind_queues(properties.get("Events", {}), merged["Resources"])
    return merged


def bind_queues(events: dict[str, Any], resources: dict[str, Any]) -> None:
    """Chalice names an SQS event's queue by an ARN built from the name it was given; that
    name is a queue's logical id (see queue_placeholders), so refer to the queue instead."""
    for name, event in events.items():
        if event["Type"] != "SQS":
            continue
        logical = event["Properties"]["Queue"]["Fn::Sub"].rsplit(":", 1)[1]
        if resources.get(logical, {}).get("Type") != "AWS::SQS::Queue":
            raise ValueError(f"event {name} reads {logical!r}, which is no queue of infra/template.yaml")
        event["Properties"]["Queue"] = {"Fn::GetAtt": [logical, "Arn"]}
