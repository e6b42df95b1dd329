"""Custom models as the API sees them: create from text or an uploaded corpus, read,
list, delete. Training itself is started by the corpus landing in S3."""
from __future__ import annotations

import json
from typing import Optional

from chalicelib.config import Settings
from chalicelib.orchestration.messages import ModelJobInput
from chalicelib.orchestration.state_machines import Executions
from chalicelib.services.requests import ModelListParams, ModelRequest
from chalicelib.storage.models import ModelsTable
from chalicelib.storage.objects import ObjectStore
from hark_core import records
from hark_core.errors import BadRequest, Conflict, NotFound
from hark_core.records import ModelRecord, ModelStatus, new_id

CORPUS_PREFIX = "corpora/"
UPLOAD_URL_SECONDS = 3600


def corpus_key(tenant_id: str, model_id: str, name: str) -> str:
    return f"{CORPUS_PREFIX}{tenant_id}/{model_id}/{name}"


def parse_corpus_key(key: str) -> Optional[tuple[str, str]]:
    """(tenant, model) of a corpus object key, or None for a key Hark did not hand out."""
    parts = key.split("/")
    if len(parts) != 4 or parts[0] + "/" != CORPUS_PREFIX or not all(parts[1:]):
        return None
    return parts[1], parts[2]


def ready_model(table: ModelsTable, tenant_id: str, model_id: str) -> ModelRecord:
    """The model a transcript or a stream asks for: it must be this tenant's, and ready."""
    try:
        record: Optional[ModelRecord] = table.get(tenant_id, model_id)
    except NotFound:
        record = None
    return records.ready_model(record, model_id)


class CustomModelService:
    def __init__(
        self, table: ModelsTable, objects: ObjectStore, executions: Executions, presigner: "Presigner", settings: Settings
    ) -> None:
        self._table = table
        self._objects = objects
        self._executions = executions
        self._presigner = presigner
        self._settings = settings

    def create(self, tenant_id: str, request: ModelRequest) -> ModelRecord:
        texts = [t for t in (t.strip() for t in request.texts) if t]
        phrases = [p for p in (p.strip() for p in request.phrases) if p]
        if (request.texts or request.phrases) and not (texts or phrases):
            raise BadRequest("texts and phrases are all empty: give at least one non-blank text or phrase")
        record = ModelRecord(
            tenant_id=tenant_id,
            model_id=new_id(),
            name=request.name,
            description=request.description,
            text_count=len(texts),
            phrase_count=len(phrases),
        )
        corpus: dict[str, object] = {"texts": texts, "phrases": phrases}
        if request.adapt_decoder is not None:
            corpus["adapt_decoder"] = request.adapt_decoder  # read by the training job
        body = json.dumps(corpus).encode() if texts or phrases else None
        if body:
            record.corpus_key = corpus_key(tenant_id, record.model_id, "corpus.json")
            record.corpus_bytes = len(body)
        self._table.create(record)
        if body and record.corpus_key:
            # The object's S3 event starts training (see corpus_arrived).
            self._objects.put_bytes(self._settings.corpora_bucket, record.corpus_key, body, "application/json")
        return record

    def corpus_upload_url(self, tenant_id: str, model_id: str) -> str:
        record = self._table.get(tenant_id, model_id)
        if record.status is not ModelStatus.queued or record.corpus_key:
            raise Conflict("this custom model already has its corpus; create a new model to train on other text")
        key = corpus_key(tenant_id, model_id, "upload")
        return self._presigner.put_url(self._settings.corpora_bucket, key, UPLOAD_URL_SECONDS)

    def corpus_arrived(self, tenant_id: str, model_id: str, key: str, size: int) -> None:
        """A corpus object landed (S3 event, at least once): start the model's training."""
        try:
            record = self._table.get(tenant_id, model_id)
        except NotFound:
            return  # deleted meanwhile, or a key Hark did not hand out
        if record.status is not ModelStatus.queued:
            return
        self._table.set_corpus(tenant_id, model_id, key, size)
        self._executions.start(model_id, ModelJobInput(tenant_id=tenant_id, model_id=model_id), exists_ok=True)

    def get(self, tenant_id: str, model_id: str) -> ModelRecord:
        return self._table.get(tenant_id, model_id)

    def ready(self, tenant_id: str, model_id: str) -> ModelRecord:
        return ready_model(self._table, tenant_id, model_id)

    def list(self, tenant_id: str, params: ModelListParams) -> list[ModelRecord]:
        return self._table.list(tenant_id, params.limit, params.status, params.before_id, params.after_id)

    def delete(self, tenant_id: str, model_id: str) -> ModelRecord:
        record = self._table.get(tenant_id, model_id)
        if record.status is ModelStatus.training:
            raise Conflict("the custom model is training; delete it once it is ready or in error")
        self._table.delete(tenant_id, model_id)
        self._objects.delete(self._settings.corpora_bucket, record.corpus_key)
        self._objects.delete(self._settings.media_bucket, record.artifact_key)
        return record


class Presigner:
    def __init__(self, s3: object) -> None:
        self._s3 = s3

    def put_url(self, bucket: str, key: str, seconds: int) -> str:
        return str(
            self._s3.generate_presigned_url(  # type: ignore[attr-defined]
                "put_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=seconds
            )
        )

    def get_url(self, bucket: str, key: str, seconds: int) -> str:
        return str(
            self._s3.generate_presigned_url(  # type: ignore[attr-defined]
                "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=seconds
            )
        )
