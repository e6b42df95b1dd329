"""The composition root: builds each service once per process from the settings and the
client factory. Tests build services directly with their own clients instead."""
from __future__ import annotations

from functools import lru_cache

from chalicelib.clients import client
from chalicelib.config import settings
from chalicelib.orchestration.endpoint import AsyncEndpoint
from chalicelib.orchestration.jobs import TranscriptJobs
from chalicelib.orchestration.state_machines import Executions, TaskCallbacks
from chalicelib.services.keys import KeyService
from chalicelib.services.transcripts import TranscriptService
from chalicelib.storage.keys import KeysTable
from chalicelib.storage.objects import ObjectStore
from chalicelib.storage.transcripts import TranscriptsTable


@lru_cache(maxsize=1)
def keys() -> KeyService:
    return KeyService(KeysTable(client("dynamodb"), settings().keys_table))


@lru_cache(maxsize=1)
def transcripts() -> TranscriptService:
    s = settings()
    return TranscriptService(
        TranscriptsTable(client("dynamodb"), s.transcripts_table),
        ObjectStore(client("s3")),
        Executions(client("stepfunctions"), s.transcript_state_machine_arn),
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


def reset() -> None:
    """Forget every built service (the local stack rebuilds them after provisioning)."""
    from chalicelib import clients

    for factory in (keys, transcripts, transcript_jobs):
        factory.cache_clear()
    clients.reset()
