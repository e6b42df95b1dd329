"""Custom model artifacts for the inference container: fetched from S3 once, kept in a
small least-recently-used cache, so a busy tenant's model is not downloaded per request
and memory stays bounded however many models exist."""
from __future__ import annotations

import io
import tarfile
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from hark_core.s3_uri import S3Uri
from sagemaker_jobs.asr.custom.artifact import Artifact, ArtifactError

DEFAULT_CAPACITY = 64
MAX_ARTIFACT_BYTES = 50_000_000


class ModelCache:
    def __init__(self, s3: Any, capacity: int = DEFAULT_CAPACITY) -> None:
        self._s3 = s3
        self._capacity = capacity
        self._models: OrderedDict[str, Artifact] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._models)

    def get(self, uri: str) -> Artifact:
        """The artifact at ``uri`` (an s3:// model.tar.gz). Artifacts never change once
        written (a model is trained once), so the URI is a safe cache key."""
        with self._lock:
            if uri in self._models:
                self._models.move_to_end(uri)
                return self._models[uri]
        artifact = self._fetch(uri)
        with self._lock:
            self._models[uri] = artifact
            while len(self._models) > self._capacity:
                self._models.popitem(last=False)
        return artifact

    def _fetch(self, uri: str) -> Artifact:
        location = S3Uri.parse(uri)
        response = self._s3.get_object(Bucket=location.bucket, Key=location.key)
        if response["ContentLength"] > MAX_ARTIFACT_BYTES:
            raise ArtifactError(f"the custom model at {uri} is larger than {MAX_ARTIFACT_BYTES} bytes")
        packed = response["Body"].read()
        with tempfile.TemporaryDirectory(prefix="hark-model-") as tmp:
            with tarfile.open(fileobj=io.BytesIO(packed), mode="r:gz") as tar:
                tar.extractall(tmp, filter="data")  # "data": no absolute paths, links out or devices
            return Artifact.load(Path(tmp))
