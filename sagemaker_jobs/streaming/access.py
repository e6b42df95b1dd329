"""The streaming service's view of Hark's records: API keys and temporary tokens, and
tenants' custom models, through the same storage and rules the API uses."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sagemaker_jobs.asr.custom import Artifact
from sagemaker_jobs.inference.model_cache import ModelCache
from sagemaker_jobs.streaming.server import Access


@dataclass(frozen=True)
class StreamingSettings:
    """The three resources of the Hark stack the service reads (its outputs, as for the
    Lambda functions: HARK_KEYS_TABLE, HARK_MODELS_TABLE, HARK_MEDIA_BUCKET)."""

    keys_table: str
    models_table: str
    media_bucket: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "StreamingSettings":
        return cls(env["HARK_KEYS_TABLE"], env["HARK_MODELS_TABLE"], env["HARK_MEDIA_BUCKET"])


def from_stack(settings: StreamingSettings, client: Callable[[str], Any] | None = None) -> Access:
    """`client` makes the AWS clients (boto3's, by default). Not the API's `chalicelib.clients`:
    that one reads the Lambda functions' whole configuration, and the streaming task is given
    only the three resources above (it died at start on ECS with a KeyError)."""
    from chalicelib.services.custom_models import ready_model
    from chalicelib.services.keys import KeyService
    from chalicelib.storage.keys import KeysTable
    from chalicelib.storage.models import ModelsTable
    from chalicelib.storage.objects import s3_uri

    client = client or _boto3_client
    keys = KeyService(KeysTable(client("dynamodb"), settings.keys_table))
    models = ModelsTable(client("dynamodb"), settings.models_table)
    cache = ModelCache(client("s3"))

    def model(tenant_id: str, model_id: str) -> Artifact:
        record = ready_model(models, tenant_id, model_id)
        return cache.get(s3_uri(settings.media_bucket, record.artifact_key or ""))

    return Access(tenant=keys.authenticate, model=model)


def _boto3_client(service: str) -> Any:
    import boto3
    from botocore.config import Config

    # Region and credentials from the task's environment (AWS_REGION, the task role).
    return boto3.client(service, config=Config(retries={"mode": "standard", "max_attempts": 5}))
