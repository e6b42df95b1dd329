"""The composition root: builds each service once per process from the settings and the
client factory. Tests build services directly with their own clients instead."""
from __future__ import annotations

from functools import lru_cache

from chalicelib.clients import client
from chalicelib.config import settings
from chalicelib.orchestration.endpoint import AsyncEndpoint
from chalicelib.orchestration.jobs import TranscriptJobs
from chalicelib.orchestration.state_machines import Executions, TaskCallbacks
from chalicelib.orchestration.training import TrainingJobs
from chalicelib.services.custom_models import CustomModelService, Presigner
from chalicelib.services.keys import KeyService
from chalicelib.services.transcripts import TranscriptService
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
def transcripts() -> TranscriptService:
    s = settings()
    return TranscriptService(
        TranscriptsTable(client("dynamodb"), s.transcripts_table),
        ObjectStore(client("s3")),
        Executions(client("stepfunctions"), s.transcript_state_machine_arn),
        custom_models(),
        s,
    )


@lru_cache(maxsize=1)
def transcript_jobs() -> TranscriptJobs:
    s = settings()
    return TranscriptJobs(
        TranscriptsTable(client("dynamodb"), s.transcripts_table),
        ObjectStore(client("s3")),
        AsyncEndpoint(client("sagemaker-runtime"), s.inference_endpoint),
        TaskCallbacks(client("stepfunctions")),
        s,
    )


@lru_cache(maxsize=1)
def training_jobs() -> TrainingJobs:
    s = settings()
    return TrainingJobs(
        ModelsTable(client("dynamodb"), s.models_table),
        ObjectStore(client("s3")),
        client("sagemaker"),
        TaskCallbacks(client("stepfunctions")),
        s,
    )


def reset() -> None:
    """Forget every built service (the local stack rebuilds them after provisioning)."""
    from chalicelib import clients

    for factory in (keys, custom_models, transcripts, transcript_jobs, training_jobs):
        factory.cache_clear()
    clients.reset()
