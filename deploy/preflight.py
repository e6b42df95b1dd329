"""What `make deploy` checks before it creates or uploads anything.

Each check raises `PreflightError` with one line that names the fix; `python -m deploy` prints
it and exits 1. The checks only read (STS, Service Quotas, IAM's policy simulator, `docker`),
so a half-prepared machine or account learns everything it lacks before anything exists.
"""
from __future__ import annotations

import logging
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

log = logging.getLogger("hark.deploy")

# Bucket names are derived from the stack name and must be lowercase DNS labels of at most 63
# characters: "<stack>-corpora-<12-digit account>-<region>" leaves 28 for the stack name.
STACK_NAME = re.compile(r"^[a-z][a-z0-9-]{0,27}$")
DEFAULT_INFERENCE_INSTANCE = "ml.g4dn.xlarge"
# What `deploy up` calls, directly or through CloudFormation on the caller's behalf: one
# representative action per service the stack creates, enough to tell a read-only or
# narrowly scoped identity from one that can deploy.
DEPLOY_ACTIONS = (
    "cloudformation:CreateStack",
    "cloudformation:CreateChangeSet",
    "s3:CreateBucket",
    "s3:PutObject",
    "iam:CreateRole",
    "iam:PassRole",
    "ecr:CreateRepository",
    "lambda:CreateFunction",
    "apigateway:POST",
    "dynamodb:CreateTable",
    "sqs:CreateQueue",
    "states:CreateStateMachine",
    "events:PutRule",
    "sns:CreateTopic",
    "sagemaker:CreateModel",
    "sagemaker:CreateEndpointConfig",
    "sagemaker:CreateEndpoint",
    "application-autoscaling:RegisterScalableTarget",
)
_ACCESS_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess"}

Run = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]


class PreflightError(Exception):
    """One line: what is missing and how to fix it."""


@dataclass(frozen=True)
class Identity:
    account: str
    arn: str


def check_stack_name(stack: str) -> None:
    if not STACK_NAME.match(stack):
        raise PreflightError(
            f"stack name {stack!r} is not allowed: use 1-28 characters, lowercase letters, digits and "
            "hyphens, starting with a letter (it prefixes bucket names), e.g. STACK=hark"
        )


def check_region(session: Any) -> str:
    if not session.region_name:
        raise PreflightError("no AWS region: pass REGION=us-east-1 to make (or --region), or set AWS_REGION")
    return str(session.region_name)


def check_credentials(session: Any) -> Identity:
    """The account and identity the deploy will act as."""
    if session.get_credentials() is None:
        raise PreflightError(
            "no AWS credentials: run `aws configure` (or `aws sso login --profile NAME` and set AWS_PROFILE), "
            "or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        )
    try:
        identity = session.client("sts").get_caller_identity()
    except NoCredentialsError:
        raise PreflightError("no AWS credentials: run `aws configure` or set AWS_PROFILE") from None
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        raise PreflightError(
            f"the AWS credentials were refused ({code}): they are expired or wrong; refresh them "
            "(`aws sso login`, or new access keys) and try again"
        ) from None
    except BotoCoreError as error:
        raise PreflightError(f"could not reach AWS STS to check the credentials: {error}") from None
    log.info("deploying as %s (account %s)", identity["Arn"], identity["Account"])
    return Identity(identity["Account"], identity["Arn"])


def check_docker(run: Run | None = None) -> None:
    """Docker with BuildKit (buildx) that can build linux/amd64 images (SageMaker's platform)."""
    if shutil.which("docker") is None and run is None:
        raise PreflightError(
            "docker not found: install Docker (with BuildKit) to build the images, or pass "
            "--skip-images (SKIP_IMAGES=1) to keep the previous deploy's images"
        )
    run = run or _run
    if run(["docker", "info"]).returncode != 0:
        raise PreflightError("docker is installed but its daemon is not running: start Docker and try again")
    buildx = run(["docker", "buildx", "inspect", "--bootstrap"])
    if buildx.returncode != 0:
        raise PreflightError(
            "docker BuildKit (buildx) is missing: install the docker-buildx plugin (Docker Desktop has it)"
        )
    platforms = " ".join(line for line in buildx.stdout.splitlines() if line.strip().lower().startswith("platforms"))
    if "linux/amd64" not in platforms:
        raise PreflightError(
            "this docker cannot build linux/amd64 images (SageMaker runs amd64): install QEMU emulation "
            "(`docker run --privileged --rm tonistiigi/binfmt --install amd64`) or build on an amd64 machine"
        )


def check_inference_quota(session: Any, region: str, instance_type: str) -> None:
    """The account's SageMaker quota for the endpoint's instance type (GPU types are 0 by default
    in new accounts). An identity that may not read quotas is not stopped: it is told."""
    name = f"{instance_type} for endpoint usage"
    client = session.client("service-quotas", region_name=region)
    try:
        pages = client.get_paginator("list_service_quotas").paginate(ServiceCode="sagemaker")
        quota = next((q for page in pages for q in page.get("Quotas", []) if q.get("QuotaName") == name), None)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code", "") in _ACCESS_DENIED:
            log.warning("could not read the SageMaker quota for %s (servicequotas:ListServiceQuotas denied)", name)
            return
        raise
    if quota is None:
        log.warning("no SageMaker quota named %r in %s: is %s offered there?", name, region, instance_type)
        return
    if float(quota.get("Value", 0)) < 1:
        raise PreflightError(
            f"the SageMaker quota '{name}' is 0 in {region}: request an increase to at least 1 in the "
            f"Service Quotas console (AWS services > Amazon SageMaker > {name}; quota code "
            f"{quota.get('QuotaCode', '?')}), or deploy with --parameter InferenceInstanceType=<a type you have>"
        )


def check_permissions(session: Any, identity: Identity, actions: Sequence[str] = DEPLOY_ACTIONS) -> None:
    """Asks IAM's policy simulator whether the identity may call what the deploy calls. An
    identity that may not simulate is not stopped here; the first AccessDenied the deploy meets
    is then reported as one line (`explain_denied`)."""
    principal = _principal_arn(identity.arn)
    if principal is None:
        return  # the root user may do everything; federated users cannot be simulated
    try:
        pages = session.client("iam").get_paginator("simulate_principal_policy").paginate(
            PolicySourceArn=principal, ActionNames=list(actions)
        )
        denied = [r["EvalActionName"] for page in pages for r in page["EvaluationResults"] if r["EvalDecision"] != "allowed"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code", "") in _ACCESS_DENIED:
            log.info("cannot simulate %s's permissions (iam:SimulatePrincipalPolicy denied); going on", principal)
            return
        raise
    if denied:
        raise PreflightError(
            f"{principal} may not call {', '.join(denied)}: attach a policy that allows them "
            "(AdministratorAccess, or PowerUserAccess plus IAM role management) and try again"
        )


def explain_denied(error: ClientError) -> str | None:
    """One line for an AccessDenied met mid-deploy, naming the action; None for other errors."""
    code = error.response.get("Error", {}).get("Code", "")
    if code not in _ACCESS_DENIED:
        return None
    message = error.response.get("Error", {}).get("Message", "")
    line = f"permission denied: {_service_of(error)}:{error.operation_name}"
    return f"{line} ({message})" if message else line


def _service_of(error: ClientError) -> str:
    match = re.search(r"not authorized to perform: ([a-z0-9-]+):", str(error))
    return match.group(1) if match else "aws"


def _principal_arn(arn: str) -> str | None:
    """The IAM ARN the simulator takes: an assumed role's session ARN becomes its role's."""
    if arn.endswith(":root"):
        return None
    assumed = re.match(r"arn:(aws[a-z-]*):sts::(\d+):assumed-role/([^/]+)/", arn)
    if assumed:
        partition, account, role = assumed.groups()
        return f"arn:{partition}:iam::{account}:role/{role}"
    user = re.match(r"arn:(aws[a-z-]*):(?:iam|sts)::(\d+):user/(.+)$", arn)
    if user:  # (moto's STS names its user under sts::)
        return f"arn:{user[1]}:iam::{user[2]}:user/{user[3]}"
    return arn if ":iam::" in arn else None


def _run(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(list(argv), capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return subprocess.CompletedProcess(list(argv), 1, "", str(error))
