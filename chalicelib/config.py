"""The one settings object of the Lambda side, read from the environment once.

Resource names come from the deployed stack (its Outputs become Lambda environment
variables); the local stack sets the same variables from the same template.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping

# API Gateway accepts 10 MB bodies and a synchronous Lambda 6 MB of (base64-grown) payload,
# so a direct upload above ~4.5 MB cannot reach a deployed function; the local stack has no
# such gateway and raises its own limit.
DEFAULT_MAX_UPLOAD_BYTES = 4_500_000


@dataclass(frozen=True)
class Settings:
    region: str
    keys_table: str
    transcripts_table: str
    media_bucket: str
    async_bucket: str
    transcript_state_machine_arn: str
    inference_endpoint: str
    event_bus: str
    models_table: str
    corpora_bucket: str
    custom_model_state_machine_arn: str
    training_role_arn: str
    training_image_uri: str
    training_instance_type: str
    training_job_prefix: str
    idempotency_table: str
    drop_bucket: str
    webhook_queue_url: str
    webhook_dead_letter_queue_url: str
    webhook_max_attempts: int = 6
    webhook_retry_base_s: int = 30
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    max_fetch_bytes: int = 2_000_000_000
    # Only the local stack turns this on, so its tests can serve audio from loopback.
    allow_private_audio_urls: bool = False
    # Likewise for webhook receivers on loopback (development and tests only).
    allow_private_webhook_urls: bool = False
    # How long a synchronous request (POST /v1/audio/transcriptions) waits for its job:
    # under API Gateway's 29-second limit.
    sync_wait_s: float = 25.0
    # Fair sharing (chalicelib/orchestration/admission.py); no table: jobs go straight to the
    # endpoint and requests are not rate-limited (unit tests that build Settings by hand).
    admission_table: str = ""
    admission_capacity: int = 32
    tenant_concurrency: int = 32
    tenant_requests_per_second: float = 20.0
    training_capacity: int = 4

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "Settings":
        def flag(name: str) -> bool:
            return env.get(name, "").lower() in {"1", "true", "yes"}

        return cls(
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
            keys_table=env["HARK_KEYS_TABLE"],
            transcripts_table=env["HARK_TRANSCRIPTS_TABLE"],
            media_bucket=env["HARK_MEDIA_BUCKET"],
            async_bucket=env["HARK_ASYNC_BUCKET"],
            transcript_state_machine_arn=env["HARK_TRANSCRIPT_STATE_MACHINE_ARN"],
            inference_endpoint=env["HARK_INFERENCE_ENDPOINT"],
            event_bus=env["HARK_EVENT_BUS"],
            models_table=env["HARK_MODELS_TABLE"],
            corpora_bucket=env["HARK_CORPORA_BUCKET"],
            custom_model_state_machine_arn=env["HARK_CUSTOM_MODEL_STATE_MACHINE_ARN"],
            training_role_arn=env["HARK_TRAINING_ROLE_ARN"],
            training_image_uri=env["HARK_TRAINING_IMAGE_URI"],
            training_instance_type=env["HARK_TRAINING_INSTANCE_TYPE"],
            training_job_prefix=env["HARK_TRAINING_JOB_PREFIX"],
            idempotency_table=env["HARK_IDEMPOTENCY_TABLE"],
            drop_bucket=env["HARK_DROP_BUCKET"],
            webhook_queue_url=env["HARK_WEBHOOK_QUEUE_URL"],
            webhook_dead_letter_queue_url=env["HARK_WEBHOOK_DEAD_LETTER_QUEUE_URL"],
            webhook_max_attempts=int(env.get("HARK_WEBHOOK_MAX_ATTEMPTS", 6)),
            webhook_retry_base_s=int(env.get("HARK_WEBHOOK_RETRY_BASE_S", 30)),
            max_upload_bytes=int(env.get("HARK_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES)),
            max_fetch_bytes=int(env.get("HARK_MAX_FETCH_BYTES", 2_000_000_000)),
            allow_private_audio_urls=flag("HARK_ALLOW_PRIVATE_AUDIO_URLS"),
            allow_private_webhook_urls=flag("HARK_ALLOW_PRIVATE_WEBHOOK_URLS"),
            sync_wait_s=float(env.get("HARK_SYNC_WAIT_S", 25.0)),
            admission_table=env.get("HARK_ADMISSION_TABLE", ""),
            admission_capacity=int(env.get("HARK_ADMISSION_CAPACITY", 32)),
            tenant_concurrency=int(env.get("HARK_TENANT_CONCURRENCY", 32)),
            tenant_requests_per_second=float(env.get("HARK_TENANT_REQUESTS_PER_SECOND", 20)),
            training_capacity=int(env.get("HARK_TRAINING_CAPACITY", 4)),
        )


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings.from_env(os.environ)


def queue_name(variable: str) -> str:
    """Queue names for Chalice's event-source decorators, which are evaluated at import."""
    return os.environ.get(variable, "unset-" + variable.lower())
