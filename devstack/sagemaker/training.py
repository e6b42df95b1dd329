"""Local SageMaker training jobs.

moto records CreateTrainingJob (and validates it) but runs nothing. This runner watches
moto's training jobs, runs each new one as SageMaker would — the training entrypoint in a
worker process, with the channel data, hyperparameters and ``model/`` directory laid out as
under ``/opt/ml`` — uploads ``model.tar.gz`` to ``<S3OutputPath>/<job>/output/``, and
publishes the "SageMaker Training Job State Change" event on the default event bus.
"""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tarfile
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from hark_core.s3_uri import S3Uri

log = logging.getLogger(__name__)
POLL_S = 0.5
# SageMaker keeps the first 1024 characters of the failure file in FailureReason.
MAX_FAILURE_REASON = 1024


@dataclass(frozen=True)
class TrainingSpec:
    """How to run a training container locally: its argv (run with HARK_SAGEMAKER_ROOT set)."""

    command: Sequence[str] = (sys.executable, "-m", "sagemaker_jobs.train")


class LocalTrainingRunner:
    def __init__(self, sagemaker: Any, s3: Any, events: Any, spec: TrainingSpec = TrainingSpec()) -> None:
        self._sagemaker = sagemaker
        self._s3 = s3
        self._events = events
        self._spec = spec
        self._seen: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="local-training", daemon=True)

    def start(self) -> None:
        # Jobs that exist before the runner starts are history, not work.
        self._seen.update(self._job_names())
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _job_names(self) -> list[str]:
        pages = self._sagemaker.get_paginator("list_training_jobs").paginate()
        return [job["TrainingJobName"] for page in pages for job in page["TrainingJobSummaries"]]

    def _watch(self) -> None:
        while not self._stop.wait(POLL_S):
            try:
                for name in self._job_names():
                    if name not in self._seen:
                        self._seen.add(name)
                        self.run(name)
            except Exception:  # the watcher outlives any one bad job
                log.exception("local training runner failed")

    def run(self, name: str) -> None:
        job = self._sagemaker.describe_training_job(TrainingJobName=name)
        log.info("training job %s: starting", name)
        with tempfile.TemporaryDirectory(prefix="hark-train-") as tmp:
            root = Path(tmp)
            self._lay_out(job, root)
            timeout = job.get("StoppingCondition", {}).get("MaxRuntimeInSeconds", 86400)
            try:
                done = subprocess.run(
                    list(self._spec.command), env=_env(root), timeout=timeout, capture_output=True, text=True
                )
                failure = None if done.returncode == 0 else _failure(root, done)
            except subprocess.TimeoutExpired:
                failure = f"MaxRuntimeExceeded: training did not finish within {timeout} s"
            artifact = None if failure else self._upload_model(job, root / "model")
        self._publish(job, failure, artifact)
        log.info("training job %s: %s", name, failure or "completed")

    def _lay_out(self, job: dict[str, Any], root: Path) -> None:
        config = root / "input" / "config"
        config.mkdir(parents=True)
        (config / "hyperparameters.json").write_text(json.dumps(job.get("HyperParameters", {})))
        (config / "inputdataconfig.json").write_text(
            json.dumps({c["ChannelName"]: {"TrainingInputMode": "File"} for c in job.get("InputDataConfig", [])})
        )
        (config / "resourceconfig.json").write_text(json.dumps({"current_host": "algo-1", "hosts": ["algo-1"]}))
        (root / "model").mkdir()
        (root / "output").mkdir()
        for channel in job.get("InputDataConfig", []):
            self._download(S3Uri.parse(channel["DataSource"]["S3DataSource"]["S3Uri"]), root / "input" / "data" / channel["ChannelName"])

    def _download(self, prefix: S3Uri, target: Path) -> None:
        """An S3Prefix channel: every object under the prefix, by its path below the prefix."""
        target.mkdir(parents=True)
        pages = self._s3.get_paginator("list_objects_v2").paginate(Bucket=prefix.bucket, Prefix=prefix.key)
        for page in pages:
            for obj in page.get("Contents", []):
                relative = obj["Key"][len(prefix.key) :].lstrip("/") or Path(obj["Key"]).name
                path = target / relative
                path.parent.mkdir(parents=True, exist_ok=True)
                self._s3.download_file(prefix.bucket, obj["Key"], str(path))

    def _upload_model(self, job: dict[str, Any], model_dir: Path) -> str:
        output = S3Uri.parse(job["OutputDataConfig"]["S3OutputPath"]).child(f"{job['TrainingJobName']}/output/model.tar.gz")
        with tempfile.NamedTemporaryFile(suffix=".tar.gz") as packed:
            with tarfile.open(packed.name, "w:gz") as tar:
                for path in sorted(model_dir.rglob("*")):
                    tar.add(path, arcname=str(path.relative_to(model_dir)), recursive=False)
            self._s3.upload_file(packed.name, output.bucket, output.key)
        return str(output)

    def _publish(self, job: dict[str, Any], failure: str | None, artifact: str | None) -> None:
        detail = {
            "TrainingJobName": job["TrainingJobName"],
            "TrainingJobArn": job.get("TrainingJobArn"),
            "TrainingJobStatus": "Failed" if failure else "Completed",
            "SecondaryStatus": "Failed" if failure else "Completed",
            "HyperParameters": job.get("HyperParameters", {}),
            "AlgorithmSpecification": job.get("AlgorithmSpecification"),
            "OutputDataConfig": job.get("OutputDataConfig"),
            **({"FailureReason": failure} if failure else {"ModelArtifacts": {"S3ModelArtifacts": artifact}}),
        }
        self._events.put_events(
            Entries=[
                {
                    "Source": "aws.sagemaker",
                    "DetailType": "SageMaker Training Job State Change",
                    "Resources": [job.get("TrainingJobArn", "")],
                    "Detail": json.dumps(detail, default=str),
                }
            ]
        )


def _env(root: Path) -> dict[str, str]:
    return {**os.environ, "HARK_SAGEMAKER_ROOT": str(root)}


def _failure(root: Path, done: subprocess.CompletedProcess[str]) -> str:
    path = root / "output" / "failure"
    reason = path.read_text().strip() if path.exists() else (done.stderr.strip().splitlines() or ["no reason given"])[-1]
    return f"AlgorithmError: {reason}"[:MAX_FAILURE_REASON]
