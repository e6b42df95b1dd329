"""`make deploy` run half-prepared: each missing piece is one line on stderr, exit status 1, no
traceback, and nothing created (checked against moto). Then the dry run and destroy's listing."""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

import deploy.__main__ as cli
from deploy.aws import Deployer, PlannedChange, Target
from deploy.package import core_template
from deploy.preflight import DEPLOY_ACTIONS, Identity, PreflightError, check_docker, check_permissions, explain_denied

REGION = "eu-west-1"
ROOT = Path(__file__).resolve().parents[2]
QUOTA = "ml.g4dn.xlarge for endpoint usage"


def _deploy_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "deploy", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture()
def bare_env(tmp_path: Path) -> dict[str, str]:
    """An environment with no AWS configuration at all (no files, no variables, no instance role)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        AWS_EC2_METADATA_DISABLED="true",
        PYTHONPATH=str(ROOT),
    )
    return env


def _one_line_error(result: subprocess.CompletedProcess[str], starts: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(f"error: {starts}"), result.stderr


def test_without_credentials_one_line(bare_env: dict[str, str]) -> None:
    result = _deploy_cli(["up", "--stack", "hark", "--region", REGION, "--skip-images"], bare_env)
    _one_line_error(result, "no AWS credentials")


def test_without_a_region_one_line(bare_env: dict[str, str]) -> None:
    env = {**bare_env, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    result = _deploy_cli(["up", "--stack", "hark", "--skip-images"], env)
    _one_line_error(result, "no AWS region")


@pytest.mark.parametrize("stack", ["Hark", "hark_prod", "a-stack-name-longer-than-28-chars", "9hark"])
def test_a_bad_stack_name_one_line(bare_env: dict[str, str], stack: str) -> None:
    result = _deploy_cli(["up", "--stack", stack, "--region", REGION], bare_env)
    _one_line_error(result, f"stack name {stack!r} is not allowed")


def test_destroy_refuses_without_a_terminal(bare_env: dict[str, str]) -> None:
    env = {**bare_env, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    # No stdin: the CLI must not wait for an answer (STS fails first here: the keys are fake).
    result = subprocess.run(
        [sys.executable, "-m", "deploy", "down", "--stack", "hark", "--region", REGION],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr


# --- in process, against moto -----------------------------------------------------------------


@pytest.fixture()
def aws(mocked_aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """moto for every AWS call, except the two moto does not implement (Service Quotas'
    ListServiceQuotas and IAM's policy simulator), which answer from `answers`."""
    answers: dict[str, Any] = {"quota": 1.0, "denied": [], "simulate_error": None}
    real_client = boto3.session.Session.client

    def client(self: boto3.session.Session, service: str, *args: Any, **kwargs: Any) -> Any:
        made = real_client(self, service, *args, **kwargs)
        if service == "service-quotas":
            stub = Stubber(made)
            stub.add_response(
                "list_service_quotas",
                {"Quotas": [{"QuotaName": QUOTA, "QuotaCode": "L-12345678", "Value": answers["quota"]}]},
                {"ServiceCode": "sagemaker"},
            )
            stub.activate()
        elif service == "iam":
            stub = Stubber(made)
            if answers["simulate_error"]:
                stub.add_client_error("simulate_principal_policy", answers["simulate_error"])
            else:
                results = [
                    {"EvalActionName": a, "EvalDecision": "implicitDeny" if a in answers["denied"] else "allowed"}
                    for a in DEPLOY_ACTIONS
                ]
                stub.add_response("simulate_principal_policy", {"EvaluationResults": results, "IsTruncated": False})
            stub.activate()
        return made

    monkeypatch.setattr(boto3.session.Session, "client", client)
    yield answers


def _nothing_created() -> None:
    assert boto3.client("s3", region_name=REGION).list_buckets()["Buckets"] == []
    stacks = boto3.client("cloudformation", region_name=REGION).list_stacks()["StackSummaries"]
    assert [s for s in stacks if s["StackStatus"] != "DELETE_COMPLETE"] == []
    assert boto3.client("ecr", region_name=REGION).describe_repositories()["repositories"] == []


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = cli.main(args)
    return code, capsys.readouterr().err


def test_docker_missing_one_line_and_nothing_created(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    code, err = _run(["up", "--stack", "hark", "--region", REGION], capsys)
    assert code == 1 and err.strip().startswith("error: docker not found") and len(err.strip().splitlines()) == 1
    _nothing_created()


def test_sagemaker_quota_zero_one_line_and_nothing_created(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    aws["quota"] = 0.0
    code, err = _run(["up", "--stack", "hark", "--region", REGION, "--skip-images"], capsys)
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert f"the SageMaker quota '{QUOTA}' is 0 in {REGION}" in err and "Service Quotas console" in err
    _nothing_created()


def test_missing_permissions_one_line_and_nothing_created(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    aws["denied"] = ["iam:CreateRole", "sagemaker:CreateEndpoint"]
    code, err = _run(["up", "--stack", "hark", "--region", REGION, "--skip-images"], capsys)
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "may not call iam:CreateRole, sagemaker:CreateEndpoint" in err
    _nothing_created()


def test_access_denied_mid_deploy_names_the_action(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The simulator itself is denied (a common narrow policy): the deploy goes on and its
    # first AccessDenied becomes one line.
    aws["simulate_error"] = "AccessDenied"

    def denied(self: Deployer) -> None:
        raise ClientError(
            {"Error": {"Code": "AccessDenied", "Message": "User: x is not authorized to perform: s3:CreateBucket"}},
            "CreateBucket",
        )

    monkeypatch.setattr(Deployer, "ensure_artifacts_bucket", denied)
    code, err = _run(["up", "--stack", "hark", "--region", REGION, "--skip-images"], capsys)
    assert code == 1 and "Traceback" not in err
    assert err.strip() == "error: permission denied: s3:CreateBucket (User: x is not authorized to perform: s3:CreateBucket)"


def test_docker_checks_buildkit_and_amd64() -> None:
    def runner(answers: dict[str, tuple[int, str]]) -> Any:
        return lambda argv: subprocess.CompletedProcess(argv, *answers.get(" ".join(argv[1:3]), (0, "")), "")

    with pytest.raises(PreflightError, match="daemon is not running"):
        check_docker(runner({"info": (1, "")}))
    with pytest.raises(PreflightError, match="BuildKit"):
        check_docker(runner({"buildx inspect": (1, "")}))
    with pytest.raises(PreflightError, match="linux/amd64"):
        check_docker(runner({"buildx inspect": (0, "Name: x\nPlatforms: linux/arm64, linux/arm/v7\n")}))
    check_docker(runner({"buildx inspect": (0, "Platforms: linux/amd64, linux/arm64\n")}))


def test_the_root_user_is_not_simulated() -> None:
    check_permissions(object(), Identity("123456789012", "arn:aws:iam::123456789012:root"))


def test_explain_denied_ignores_other_errors() -> None:
    other = ClientError({"Error": {"Code": "ValidationError", "Message": "bad"}}, "CreateStack")
    assert explain_denied(other) is None


@pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning")
def test_dry_run_lists_the_stack_and_leaves_nothing(aws: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["up", "--stack", "hark-ci", "--region", REGION, "--skip-images", "--dry-run"])
    out = capsys.readouterr().out

    assert code == 0
    assert "dry run: stack hark-ci" in out
    for resource in ("TranscriptsTable [AWS::DynamoDB::Table]", "MediaBucket [AWS::S3::Bucket]", "APIHandler [AWS::Serverless::Function]"):
        assert f"Add     {resource}" in out
    assert "to add, 0 to change, 0 to remove" in out
    assert "per audio hour on ml.g4dn.xlarge" in out
    stacks = boto3.client("cloudformation", region_name=REGION).list_stacks()["StackSummaries"]
    assert all(s["StackStatus"] == "DELETE_COMPLETE" for s in stacks)  # the review stack is gone


@pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning")
def test_a_second_dry_run_lists_only_what_changed(aws: dict[str, Any]) -> None:
    # moto cannot expand the SAM transform, so the core template stands in for the full stack.
    session = boto3.session.Session(region_name=REGION)
    deployer = Deployer(session, Target("hark-ci", REGION, "123456789012"))
    deployer.ensure_artifacts_bucket()
    deployer.deploy(core_template(), {})
    changed = core_template()
    changed["Resources"]["DropUploadsQueue"]["Properties"]["VisibilityTimeout"] = 901

    changes = deployer.plan(changed, {})

    assert [(c.action, c.logical_id) for c in changes] == [("Modify", "DropUploadsQueue")]
    assert deployer.plan(core_template(), {}) == []
    assert deployer.outputs()  # the stack itself is untouched


def test_the_plan_warns_where_data_would_be_lost(capsys: pytest.CaptureFixture[str]) -> None:
    changes = [
        PlannedChange("Modify", "TranscriptsTable", "AWS::DynamoDB::Table", "True"),
        PlannedChange("Modify", "DropUploadsQueue", "AWS::SQS::Queue", "False"),
        PlannedChange("Remove", "MediaBucket", "AWS::S3::Bucket"),
    ]
    cli.print_plan(Target("hark", REGION, "123456789012"), changes, "ml.g5.xlarge")
    out = capsys.readouterr().out
    assert "Modify  TranscriptsTable [AWS::DynamoDB::Table] (REPLACED)  <-- LOSES ITS DATA" in out
    assert "DropUploadsQueue [AWS::SQS::Queue]\n" in out
    assert "Remove  MediaBucket [AWS::S3::Bucket]  <-- LOSES ITS DATA" in out
    assert "no price on file for ml.g5.xlarge" in out


@pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning")
def test_destroy_says_what_it_deletes_and_refuses_without_a_terminal(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    session = boto3.session.Session(region_name=REGION)
    deployer = Deployer(session, Target("hark-ci", REGION, "123456789012"))
    deployer.ensure_artifacts_bucket()
    outputs = deployer.deploy(core_template(), {})
    s3 = session.client("s3")
    for index in range(3):
        s3.put_object(Bucket=outputs["MediaBucket"], Key=f"audio/{index}", Body=b"x")
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)

    code = cli.main(["down", "--stack", "hark-ci", "--region", REGION])
    captured = capsys.readouterr()

    assert code == 1
    assert f"bucket {outputs['MediaBucket']}: 3 objects" in captured.out
    assert "table hark-ci-transcripts: 0 items" in captured.out
    assert "refusing to delete without a terminal" in captured.err
    assert deployer.outputs() == outputs  # nothing deleted

    assert cli.main(["down", "--stack", "hark-ci", "--region", REGION, "--yes"]) == 0
    assert deployer.outputs() == {}
