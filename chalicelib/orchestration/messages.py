"""Typed messages that cross the state machine, queue and SageMaker boundaries."""
from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, ConfigDict, Field


class JobInput(BaseModel):
    """The transcript state machine's input; the record itself stays the source of truth."""

    tenant_id: str
    transcript_id: str


class ModelJobInput(BaseModel):
    """The custom-model state machine's input."""

    tenant_id: str
    model_id: str


class TrainingDispatchMessage(BaseModel):
    task_token: str
    job: ModelJobInput


class TrainingJobDetail(BaseModel):
    """The fields Hark reads of a "SageMaker Training Job State Change" event's detail
    (which carries DescribeTrainingJob's output)."""

    model_config = ConfigDict(extra="ignore")

    TrainingJobName: str
    TrainingJobStatus: str
    FailureReason: Optional[str] = None
    HyperParameters: dict[str, str] = Field(default_factory=dict)
    ModelArtifacts: dict[str, str] = Field(default_factory=dict)


class TrainingResult(BaseModel):
    """SendTaskSuccess output for the StoreModel step (numbers as strings, see TaskResult)."""

    artifact_key: str
    artifact_bytes: str
    metrics_json: str
    updated: str


class DispatchMessage(BaseModel):
    """What the state machine's wait-for-callback task puts on the dispatch queue."""

    task_token: str
    job: JobInput


class AsyncRequestParameters(BaseModel):
    model_config = ConfigDict(extra="ignore")
    inputLocation: Optional[str] = None
    endpointName: Optional[str] = None


class AsyncResponseParameters(BaseModel):
    model_config = ConfigDict(extra="ignore")
    outputLocation: Optional[str] = None
    failureLocation: Optional[str] = None


class AsyncNotification(BaseModel):
    """SageMaker async inference's SNS success/error notification."""

    model_config = ConfigDict(extra="ignore")

    inferenceId: str
    invocationStatus: str
    requestParameters: AsyncRequestParameters = Field(default_factory=AsyncRequestParameters)
    responseParameters: AsyncResponseParameters = Field(default_factory=AsyncResponseParameters)
    failureReason: Optional[str] = None

    @property
    def succeeded(self) -> bool:
        return self.invocationStatus == "Completed"


class TaskResult(BaseModel):
    """SendTaskSuccess output, read by the state machine's StoreResult step. Numbers travel
    as strings because DynamoDB's service integration takes ``N`` values as strings."""

    result_key: str
    confidence: str
    audio_duration: str
    language_code: str
    model: str
    completed: str

