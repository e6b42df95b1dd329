"""The composition root: builds each service once per process from the settings and the
client factory. Tests build services directly with their own clients instead."""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable

from chalicelib.api import presenters
from chalicelib.clients import client
from chalicelib.config import settings
from chalicelib.orchestration.admission import Admission
from chalicelib.orchestration.endpoint import AsyncEndpoint
from chalicelib.orchestration.jobs import TranscriptJobs
from chalicelib.orchestration.state_events import StatePublisher
from chalicelib.orchestration.state_machines import Executions, TaskCallbacks
from chalicelib.orchestration.training import TrainingJobs
from chalicelib.orchestration.webhooks import RetryPolicy, WebhookSender
from chalicelib.services.custom_models import CustomModelService, Presigner
from chalicelib.services.drop_folder import DropFolder
from chalicelib.services.keys import KeyService
from chalicelib.services.limits import RateLimiter, TenantLimits
from chalicelib.services.notify import Notifier
from chalicelib.services.transcripts import TranscriptService, TranscriptView
from chalicelib.storage.admission import AdmissionTable
from chalicelib.storage.keys import KeysTable
from chalicelib.storage.models import ModelsTable
from chalicelib.storage.objects import ObjectStore
from chalicelib.storage.transcripts import TranscriptsTable


@lru_cache(maxsize=1)
def keys() -> KeyService:
    return KeyService(KeysTable(client("dynamodb"), settings().keys_table))


@lru_cache(maxsize=1)
def custom_models() -> CustomModelService:
    s = settings()
    return CustomModelService(
        ModelsTable(client("dynamodb"), s.models_table),
        ObjectStore(client("s3")),
        Executions(client("stepfunctions"), s.custom_model_state_machine_arn),
        Presigner(client("s3")),
        s,
    )


@lru_cache(maxsize=1)
def publisher() -> StatePublisher:
    return StatePublisher(client("events"), settings().event_bus)


@lru_cache(maxsize=1)
def transcripts() -> TranscriptService:
    s = settings()
    return TranscriptService(
        TranscriptsTable(client("dynamodb"), s.transcripts_table),
        ObjectStore(client("s3")),
        Executions(client("stepfunctions"), s.transcript_state_machine_arn),
        custom_models(),
        publisher(),
        s,
        Presigner(client("s3")),
    )


@lru_cache(maxsize=1)
def drop_folder() -> DropFolder:
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    persistence = DynamoDBPersistenceLayer(table_name=settings().idempotency_table, boto3_client=client("dynamodb"))
    # S3 redelivers within minutes; a day covers any retry of the queue as well.
    config = IdempotencyConfig(event_key_jmespath="[bucket, key, sequencer]", expires_after_seconds=86_400)

    def once(function: Callable[..., Any]) -> Callable[..., Any]:
        return idempotent_function(data_keyword_argument="upload", persistence_store=persistence, config=config)(function)

    return DropFolder(transcripts(), keys(), ObjectStore(client("s3")), once, _presented)


def _presented(view: TranscriptView) -> dict[str, Any]:
    return presenters.transcript(view).model_dump(mode="json")


@lru_cache(maxsize=1)
def webhooks() -> WebhookSender:
    s = settings()
    table = TranscriptsTable(client("dynamodb"), s.transcripts_table)
    return WebhookSender(
        client("sqs"),
        s.webhook_queue_url,
        s.webhook_dead_letter_queue_url,
        keys().webhook_secret,
        RetryPolicy(max_attempts=s.webhook_max_attempts, base_delay_s=s.webhook_retry_base_s),
        s.allow_private_webhook_urls,
        record_status=table.set_webhook_status,
    )


@lru_cache(maxsize=1)
def notifier() -> Notifier:
    return Notifier(transcripts(), drop_folder(), webhooks(), settings().drop_bucket)


@lru_cache(maxsize=1)
def transcript_jobs() -> TranscriptJobs:
    s = settings()
    return TranscriptJobs(
        TranscriptsTable(client("dynamodb"), s.transcripts_table),
        ObjectStore(client("s3")),
        AsyncEndpoint(client("sagemaker-runtime"), s.inference_endpoint),
        TaskCallbacks(client("stepfunctions")),
        publisher(),
        s,
        admission=(lambda jobs: Admission(admission_table(), s.admission_capacity, tenant_limits().concurrency, jobs.start))
        if s.admission_table
        else None,
    )


@lru_cache(maxsize=1)
def admission_table() -> AdmissionTable:
    return AdmissionTable(client("dynamodb"), settings().admission_table)


@lru_cache(maxsize=1)
def rate_limiter() -> RateLimiter | None:
    """None without an admission table (nothing to keep the buckets in)."""
    return RateLimiter(admission_table(), tenant_limits()) if settings().admission_table else None


@lru_cache(maxsize=1)
def tenant_limits() -> TenantLimits:
    s = settings()
    return TenantLimits(KeysTable(client("dynamodb"), s.keys_table), s.tenant_concurrency, s.tenant_requests_per_second)


@lru_cache(maxsize=1)
def training_jobs() -> TrainingJobs:
    s = settings()
    return TrainingJobs(
        ModelsTable(client("dynamodb"), s.models_table),
        ObjectStore(client("s3")),
        client("sagemaker"),
        TaskCallbacks(client("stepfunctions")),
        s,
        # Training jobs take turns too, each tenant below the same capacity (no per-tenant limit
        # beyond it: a lone tenant may use every place; the next place goes to whoever has fewest).
        admission=(
            lambda jobs: Admission(
                AdmissionTable(client("dynamodb"), s.admission_table, "training"),
                s.training_capacity,
                lambda tenant: s.training_capacity,
                jobs.start,
            )
        )
        if s.admission_table
        else None,
    )


def reset() -> None:
    """Forget every built service (the local stack rebuilds them after provisioning)."""
    from chalicelib import clients

    for factory in (keys, custom_models, publisher, transcripts, drop_folder, webhooks, notifier, transcript_jobs, training_jobs):
        factory.cache_clear()
    clients.reset()
