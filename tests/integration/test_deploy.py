"""`make deploy` and `make destroy`'s AWS calls against moto: moto cannot expand the SAM
transform, so the core template stands in for the full stack."""
from __future__ import annotations

import boto3
import pytest

from deploy.aws import Deployer, Target
from deploy.package import core_template

REGION = "eu-west-1"  # not us-east-1, which S3 treats differently


@pytest.fixture()
def session(mocked_aws: None) -> boto3.session.Session:
    return boto3.session.Session(region_name=REGION)


@pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning")  # types moto skips: see test_cloudformation
def test_deploy_then_destroy_leaves_nothing(session: boto3.session.Session) -> None:
    target = Target("hark-ci", REGION, "123456789012")
    deployer = Deployer(session, target)
    deployer.ensure_artifacts_bucket()
    deployer.ensure_artifacts_bucket()  # a second deploy finds it
    outputs = deployer.deploy(core_template(), {"InferenceInstanceType": "ml.g4dn.2xlarge", "NotAParameter": "x"})
    assert outputs["KeysTable"] == "hark-ci-api-keys"
    s3 = session.client("s3")
    s3.put_object(Bucket=outputs["MediaBucket"], Key="results/t/1.json", Body=b"{}")
    assert deployer.deploy(core_template(), {}) == outputs  # nothing changed: no update

    deployer.destroy(["hark-ci-inference", "hark-ci-train"])
    assert deployer.outputs() == {}
    assert s3.list_buckets()["Buckets"] == []
