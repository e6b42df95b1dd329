"""The one place the local SageMaker runner makes boto3 clients."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3


@dataclass(frozen=True)
class AwsClients:
    """The AWS services the runner plays SageMaker against (moto, locally)."""

    sagemaker: Any
    s3: Any
    sns: Any

    @property
    def region(self) -> str:
        # Notifications carry the region the endpoint lives in; all three clients share it.
        return str(self.sagemaker.meta.region_name)


def make_aws_clients(endpoint_url: str | None, region: str) -> AwsClients:
    """Clients for SageMaker, S3 and SNS at `endpoint_url` (None means real AWS).

    Credentials come from boto3's usual chain (env vars, profile); moto accepts any.
    """
    session = boto3.session.Session(region_name=region)
    return AwsClients(
        sagemaker=session.client("sagemaker", endpoint_url=endpoint_url),
        s3=session.client("s3", endpoint_url=endpoint_url),
        sns=session.client("sns", endpoint_url=endpoint_url),
    )
