"""The custom-model job's work between its state machine steps: start the SageMaker
training job (dispatch), and turn the job's EventBridge state change into the task result
the state machine stores. Both run from queues, at least once, and are idempotent."""
from __future__ import annotations

import io
import json
import logging
import tarfile
from collections.abc import Callable
from typing import Any, Optional

from chalicelib import observability
from chalicelib.aws import error_code, guarded
from chalicelib.config import Settings
from chalicelib.orchestration.admission import Admission
from chalicelib.orchestration.messages import TrainingDispatchMessage, TrainingJobDetail, TrainingResult
from chalicelib.orchestration.state_machines import TaskCallbacks
from chalicelib.storage.models import ModelsTable
from chalicelib.storage.objects import ObjectStore
from hark_core.errors import ServiceUnavailable
from hark_core.records import now_iso
from hark_core.s3_uri import split_s3_uri

log = logging.getLogger(__name__)

CHANNEL = "corpus"
METRICS_FILE = "metrics.json"
MAX_RUNTIME_S = 3600


class TrainingJobs:
    def __init__(
        self,
        table: ModelsTable,
        objects: ObjectStore,
        sagemaker: Any,
        callbacks: TaskCallbacks,
        settings: Settings,
        admission: Optional[Callable[["TrainingJobs"], Admission]] = None,
    ) -> None:
        """`admission`: training jobs take turns fairly between tenants (see `admission`);
        without it every model starts training at once."""
        self._table = table
        self._objects = objects
        self._sagemaker = sagemaker
        self._callbacks = callbacks
        self._settings = settings
        self._admission = admission(self) if admission else None

    def job_name(self, model_id: str) -> str:
        return f"{self._settings.training_job_prefix}{model_id}"

    def dispatch(self, message: TrainingDispatchMessage) -> None:
        job = message.job
        observability.bind(tenant_id=job.tenant_id, model_id=job.model_id)
        if self._admission is None:
            self.start(message.model_dump_json())
        else:
            self._admission.submit(job.tenant_id, job.model_id, message.model_dump_json())

    def start(self, message_json: str, first: bool = False) -> bool:
        """Starts the model's training job; False when the model is not queued any more. (A
        training job has an instance of its own: `first` changes nothing.)"""
        message = TrainingDispatchMessage.model_validate_json(message_json)
        job = message.job
        observability.bind(tenant_id=job.tenant_id, model_id=job.model_id)
        if not self._table.start(job.tenant_id, job.model_id, message.task_token):
            log.info("model %s is not queued any more; duplicate dispatch ignored", job.model_id)
            return False
        record = self._table.get(job.tenant_id, job.model_id)
        s = self._settings
        try:
            guarded(
                lambda: self._sagemaker.create_training_job(
                    TrainingJobName=self.job_name(job.model_id),
                    AlgorithmSpecification={"TrainingImage": s.training_image_uri, "TrainingInputMode": "File"},
                    RoleArn=s.training_role_arn,
                    # Where the model comes from and goes to; the tenant and model ids also come
                    # back with the job's state change event.
                    HyperParameters={"tenant_id": job.tenant_id, "model_id": job.model_id},
                    InputDataConfig=[
                        {
                            "ChannelName": CHANNEL,
                            "DataSource": {
                                "S3DataSource": {
                                    "S3DataType": "S3Prefix",
                                    "S3Uri": f"s3://{s.corpora_bucket}/{record.corpus_key}",
                                    "S3DataDistributionType": "FullyReplicated",
                                }
                            },
                        }
                    ],
                    OutputDataConfig={"S3OutputPath": f"s3://{s.media_bucket}/models/{job.tenant_id}/{job.model_id}"},
                    ResourceConfig={"InstanceType": s.training_instance_type, "InstanceCount": 1, "VolumeSizeInGB": 10},
                    StoppingCondition={"MaxRuntimeInSeconds": MAX_RUNTIME_S},
                ),
                "starting the training job",
            )
        except ServiceUnavailable as e:
            if error_code(e) == "ResourceInUse":  # a redelivered dispatch: the job already exists
                return True
            raise
        return True

    def on_state_change(self, detail: TrainingJobDetail) -> None:
        tenant_id = detail.HyperParameters.get("tenant_id", "")
        model_id = detail.HyperParameters.get("model_id", "")
        observability.bind(tenant_id=tenant_id, model_id=model_id)
        try:
            self._on_state_change(detail, tenant_id, model_id)
        finally:
            # The events are the job's end (Completed, Failed, Stopped): its place goes on.
            if self._admission is not None and tenant_id and model_id:
                self._admission.release(tenant_id, model_id)

    def _on_state_change(self, detail: TrainingJobDetail, tenant_id: str, model_id: str) -> None:
        token = self._table.task_token(tenant_id, model_id) if tenant_id and model_id else None
        if token is None:
            log.info("training job %s: model not training; event ignored", detail.TrainingJobName)
            return
        observability.count("ModelJobs", "ready" if detail.TrainingJobStatus == "Completed" else "error")
        if detail.TrainingJobStatus != "Completed":
            # SageMaker prefixes the entrypoint's own failure message; the message is for users.
            reason = (detail.FailureReason or "").removeprefix("AlgorithmError: ").strip()
            reason = reason or f"the training job ended {detail.TrainingJobStatus.lower()}"
            self._callbacks.fail(token, "TrainingFailed", reason)
            return
        bucket, key = split_s3_uri(detail.ModelArtifacts.get("S3ModelArtifacts", ""))
        artifact = self._objects.get_bytes(bucket, key)
        self._callbacks.succeed(
            token,
            TrainingResult(
                artifact_key=key,
                artifact_bytes=str(len(artifact)),
                metrics_json=json.dumps(_metrics(artifact)),
                updated=now_iso(),
            ),
        )


def _metrics(artifact: bytes) -> dict[str, Any]:
    """What training measured, as it left it in model.tar.gz (see sagemaker_jobs/train)."""
    with tarfile.open(fileobj=io.BytesIO(artifact), mode="r:gz") as tar:
        member = next((m for m in tar.getmembers() if m.name.lstrip("./") == METRICS_FILE), None)
        stream = tar.extractfile(member) if member else None
        return dict(json.load(stream)) if stream else {}
