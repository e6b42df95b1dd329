"""The streaming service's view of Hark's records: API keys and temporary tokens, and
tenants' custom models (through the same services the API uses, so the rules are one)."""
from __future__ import annotations

from sagemaker_jobs.asr.custom import Artifact
from sagemaker_jobs.inference.model_cache import ModelCache
from sagemaker_jobs.streaming.server import Access


def from_stack() -> Access:
    """Access through the deployment's tables and buckets (named by the HARK_* environment
    the stack's outputs provide, as for the Lambda functions)."""
    from chalicelib import wiring
    from chalicelib.clients import client
    from chalicelib.config import settings
    from chalicelib.storage.objects import s3_uri

    cache = ModelCache(client("s3"))

    def model(tenant_id: str, model_id: str) -> Artifact:
        record = wiring.custom_models().ready(tenant_id, model_id)
        return cache.get(s3_uri(settings().media_bucket, record.artifact_key or ""))

    return Access(tenant=wiring.keys().authenticate, model=model)
