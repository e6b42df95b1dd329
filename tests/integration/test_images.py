"""Every container image proven to start, without Docker: for each Dockerfile, a virtualenv made
from exactly the requirements files it installs (read from its RUN pip install lines), and a
folder holding only what it COPYs; then its entrypoint runs for real.

- inference: `serve` (the image's ENTRYPOINT script), GET /ping, one POST /invocations;
- training: one job on a tiny corpus, SageMaker's /opt/ml layout in a temporary folder;
- streaming: one WebSocket session (its records in a moto server, as on ECS with DynamoDB).

The environments are cached under ~/.cache/hark-image-envs, keyed by the requirements' content;
pip's own cache holds the wheels `make venv` downloaded, so a clean machine builds them in a
minute or two.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from sagemaker_jobs.asr import audio
from tests.integration.test_streaming_entrypoint import provisioned_records, stream_once

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]
ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("HARK_IMAGE_ENV_CACHE") or Path.home() / ".cache" / "hark-image-envs")
PROGRAM = "/opt/program/"
DOCKERFILES = {
    "inference": "sagemaker_jobs/inference/Dockerfile",
    "train": "sagemaker_jobs/train/Dockerfile",
    "streaming": "hark_streaming/Dockerfile",
}


@dataclass(frozen=True)
class Image:
    name: str
    requirements: tuple[str, ...]
    no_deps: tuple[str, ...]
    copied: tuple[str, ...]

    @classmethod
    def of(cls, name: str) -> "Image":
        """What the image's Dockerfile installs and copies, read from it."""
        text = (ROOT / DOCKERFILES[name]).read_text().replace("\\\n", " ")
        requirements, no_deps = [], []
        for command in re.findall(r"pip install ([^&\n]+)", text):
            files = [f.removeprefix(PROGRAM) for f in re.findall(r"-r\s+(\S+)", command)]
            (no_deps if "--no-deps" in command else requirements).extend(files)
        copied = [m.rstrip("/") for m in re.findall(r"^COPY\s+(\S+/)\s+\S+$", text, re.MULTILINE)]
        return cls(name, tuple(requirements), tuple(no_deps), tuple(copied))

    def python(self) -> Path:
        """The image's Python environment, built once per content of its requirements."""
        digest = hashlib.sha256()
        for file in sorted({*self.requirements, *self.no_deps, *_included(self.requirements)}):
            digest.update(file.encode() + (ROOT / file).read_bytes())
        env = CACHE / f"{self.name}-{digest.hexdigest()[:16]}"
        python = env / "bin" / "python"
        if not (env / ".complete").exists():
            shutil.rmtree(env, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
            pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
            subprocess.run([*pip, *(a for f in self.requirements for a in ("-r", str(ROOT / f)))], check=True)
            if self.no_deps:
                subprocess.run([*pip, "--no-deps", *(a for f in self.no_deps for a in ("-r", str(ROOT / f)))], check=True)
            (env / ".complete").touch()
        return python

    def program(self, tmp: Path) -> Path:
        """/opt/program as the image has it: only the copied folders."""
        program = tmp / f"{self.name}-program"
        program.mkdir()
        for folder in self.copied:
            shutil.copytree(ROOT / folder, program / folder, ignore=shutil.ignore_patterns("__pycache__"))
        return program

    def environment(self, program: Path, **extra: str) -> dict[str, str]:
        """The image's environment: nothing of the developer's virtualenv or checkout."""
        keep = {k: v for k, v in os.environ.items() if k in ("HOME", "LANG", "TMPDIR")}
        return {**keep, "PATH": f"{self.python().parent}:/usr/bin:/bin", "PYTHONPATH": str(program), **extra}


def _included(files: tuple[str, ...]) -> list[str]:
    """Requirements files pulled in with -r inside others (paths relative to the repository)."""
    found = []
    for file in files:
        for line in (ROOT / file).read_text().splitlines():
            if line.startswith("-r "):
                found.append(os.path.normpath(str(Path(file).parent / line[3:].strip())))
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _started(argv: list[str], env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("w") as out:
        return subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)


def test_every_image_is_read_from_its_dockerfile() -> None:
    assert Image.of("inference").no_deps == ("sagemaker_jobs/inference/requirements-nodeps.txt",)
    # The streaming service shares the core and the speech engine, never the API's code.
    assert Image.of("streaming").copied == ("hark_core", "sagemaker_jobs", "hark_streaming")
    assert all("hark_core" in Image.of(name).copied for name in DOCKERFILES)
    assert Image.of("train").requirements == ("sagemaker_jobs/train/requirements.txt",)


def test_the_inference_image_serves(tmp_path: Path, audio_dir: Path, references: dict[str, str]) -> None:
    image = Image.of("inference")
    program = image.program(tmp_path)
    port = _free_port()
    log = tmp_path / "inference.log"
    env = image.environment(program, SAGEMAKER_BIND_TO_PORT=str(port), AWS_DEFAULT_REGION="us-east-1")
    process = _started(["bash", str(program / "sagemaker_jobs" / "inference" / "serve"), "serve"], env, program, log)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            deadline = time.monotonic() + 180
            while True:
                assert process.poll() is None, f"the inference image died at start:\n{log.read_text()}"
                try:
                    if client.get("/ping").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.5)
            clip = "ls_1089-134686-0002.flac"
            answer = client.post("/invocations", content=(audio_dir / clip).read_bytes(), headers={"Content-Type": "audio/flac"})
        assert answer.status_code == 200, answer.text
        heard = set(answer.json()["text"].lower().replace(",", "").replace(".", "").split())
        assert len(heard & set(references[clip].lower().split())) >= 5
        # PII finding loads its NER pipeline from the image's own packages (nothing downloaded).
        finder = "from sagemaker_jobs.asr import pii; print(pii.Finder().find_text('Call Sarah Johnson in Denver.'))"
        found = subprocess.run(
            [str(image.python()), "-c", finder], env=env, cwd=program, capture_output=True, text=True, timeout=300
        )
        assert "person_name" in found.stdout and "location" in found.stdout, found.stderr
        # The multilingual model is joined from the image's own packages (what its build runs)
        # and detects a real Spanish speaker.
        detect = (
            "import os, sys; from sagemaker_jobs.asr import audio, speech_models;"
            " from sagemaker_jobs.asr.engine import Engine, EngineSettings;"
            " engine = Engine(EngineSettings.from_env(os.environ, speech_models.BASE));"
            " print(engine.detect_language(audio.decode(open(sys.argv[1], 'rb').read())))"
        )
        detected = subprocess.run(
            [str(image.python()), "-c", detect, str(audio_dir / "fleurs_es.ogg")],
            env={**env, "HARK_MODEL_CACHE": str(tmp_path / "models")},
            cwd=program,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert "('es'," in detected.stdout, detected.stderr
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_training_image_trains(tmp_path: Path) -> None:
    image = Image.of("train")
    program = image.program(tmp_path)
    root = tmp_path / "ml"
    (root / "input" / "data" / "corpus").mkdir(parents=True)
    (root / "input" / "config").mkdir(parents=True)
    (root / "input" / "config" / "hyperparameters.json").write_text(json.dumps({"tenant_id": "t", "model_id": "m"}))
    (root / "input" / "data" / "corpus" / "history.txt").write_text(
        "Thanks for calling Zentrix support, this is Dana.\n"
        "Your Omniflow router needs the Zentrix firmware update.\n"
        "I have escalated the Omniflow ticket to Kavanaugh Biolabs.\n"
    )
    # The decoder adapts only when asked (not by default): the model request asks for it.
    (root / "input" / "data" / "corpus" / "corpus.json").write_text(json.dumps({"adapt_decoder": True}))
    done = subprocess.run(
        [str(image.python()), "-m", "sagemaker_jobs.train"],
        # The decoder adapts too (torch, espeak-ng and sox in the image), on a small budget.
        cwd=program, env=image.environment(
            program, HARK_SAGEMAKER_ROOT=str(root), HARK_ADAPT_DECODER="1", HARK_ADAPT_WINDOWS="4", HARK_ADAPT_EPOCHS="1"
        ),
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    metrics = json.loads((root / "model" / "metrics.json").read_text())
    assert metrics["adapted_decoder"] is True
    assert (root / "model" / "custom_model.json").is_file() and (root / "model" / "decoder.npz").is_file()


@pytest.fixture()
def records() -> Iterator[tuple[dict[str, str], str]]:
    with provisioned_records() as provisioned:
        yield provisioned


def test_the_streaming_image_serves_a_session(
    tmp_path: Path, records: tuple[dict[str, str], str], audio_dir: Path, references: dict[str, str]
) -> None:
    aws, key = records
    image = Image.of("streaming")
    program = image.program(tmp_path)
    port = _free_port()
    log = tmp_path / "streaming.log"
    env = image.environment(program, **aws)
    process = _started([str(image.python()), "-m", "hark_streaming", "--host", "127.0.0.1", "--port", str(port)], env, program, log)
    try:
        clip = "ls_1089-134686-0002.flac"
        finals = stream_once(port, key, audio.decode((audio_dir / clip).read_bytes()), process, log, startup_s=180)
        assert len(set(" ".join(finals).lower().split()) & set(references[clip].lower().split())) >= 5, finals
    finally:
        process.terminate()
        process.wait(timeout=30)
