"""SageMaker async inference endpoint adapter."""
from __future__ import annotations

from typing import Any

from chalicelib.aws import guarded


class AsyncEndpoint:
    def __init__(self, runtime: Any, endpoint_name: str) -> None:
        self._runtime = runtime
        self._name = endpoint_name

    def invoke(self, input_uri: str, inference_id: str) -> None:
        guarded(
            lambda: self._runtime.invoke_endpoint_async(
                EndpointName=self._name,
                InputLocation=input_uri,
                ContentType="application/json",
                InferenceId=inference_id,
            ),
            "queueing the transcription",
        )
