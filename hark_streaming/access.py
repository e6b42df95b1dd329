"""The streaming service's view of Hark's records: API keys and temporary tokens, and tenants'
custom models. It reads the API's keys and models tables itself, through the record types and
rules of `hark_core` (the same the API uses), and imports nothing of the API: its image installs
neither Chalice nor the API's code."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Optional

from botocore.exceptions import BotoCoreError, ClientError

from hark_core.errors import ServiceUnavailable, Unauthorized
from hark_core.keys import AUTH_FAILED, hash_key, key_from_header, tenant_of
from hark_core.records import ModelRecord, from_stored, ready_model
from hark_core.s3_uri import s3_uri
from hark_streaming.server import Access
from sagemaker_jobs.asr.custom import Artifact
from sagemaker_jobs.inference.model_cache import ModelCache


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


class Records:
    """Reads of the keys and models tables (`dynamodb` is a boto3 DynamoDB client)."""

    def __init__(self, dynamodb: Any, settings: StreamingSettings) -> None:
        from boto3.dynamodb.types import TypeDeserializer

        self._db = dynamodb
        self._settings = settings
        self._load = TypeDeserializer().deserialize

    def tenant(self, authorization: Optional[str]) -> str:
        """The tenant of an API key or an unexpired temporary token; Unauthorized otherwise."""
        key = key_from_header(authorization)
        item = self._get(self._settings.keys_table, {"key_hash": {"S": hash_key(key)}}) if key else None
        tenant = tenant_of(item) if item else None
        if tenant is None:
            raise Unauthorized(AUTH_FAILED)
        return tenant

    def ready_model(self, tenant_id: str, model_id: str) -> ModelRecord:
        """The tenant's custom model, which must be ready (the rule the API applies too)."""
        item = self._get(self._settings.models_table, {"tenant_id": {"S": tenant_id}, "model_id": {"S": model_id}})
        return ready_model(ModelRecord.from_item(item) if item else None, model_id)

    def _get(self, table: str, key: dict[str, Any]) -> Optional[dict[str, Any]]:
        try:
            raw = self._db.get_item(TableName=table, Key=key)
        except (BotoCoreError, ClientError) as e:  # the caller sees a retryable refusal
            raise ServiceUnavailable("Hark's records could not be read; try again") from e
        if "Item" not in raw:
            return None
        return {k: from_stored(self._load(v)) for k, v in raw["Item"].items()}


def from_stack(settings: StreamingSettings, client: Callable[[str], Any] | None = None) -> Access:
    """`client` makes the AWS clients (boto3's, by default). The task is given only the three
    resources above, not the Lambda functions' whole configuration."""
    client = client or _boto3_client
    records = Records(client("dynamodb"), settings)
    cache = ModelCache(client("s3"))

    def model(tenant_id: str, model_id: str) -> Artifact:
        record = records.ready_model(tenant_id, model_id)
        return cache.get(s3_uri(settings.media_bucket, record.artifact_key or ""))

    return Access(tenant=records.tenant, model=model)


def _boto3_client(service: str) -> Any:
    import boto3
    from botocore.config import Config

    # Region and credentials from the task's environment (AWS_REGION, the task role).
    return boto3.client(service, config=Config(retries={"mode": "standard", "max_attempts": 5}))
