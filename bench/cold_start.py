"""The inference container's footprint and cold start, with both speech models.

    python -m bench.cold_start

No Docker engine is needed (nor is one on the development machine), so the image is measured by
its parts:

1. Size: what the image adds to its CUDA base: the installed distributions that
   `sagemaker_jobs/inference/requirements.txt` (and the no-deps file) pull in, resolved from this
   environment's metadata, the joined whisper-base files, and the code it copies. The base image
   (`nvidia/cuda:...-cudnn-runtime`, see the Dockerfile) is not counted: measure it with
   `docker images` on a build host.
2. Cold start: `python -m sagemaker_jobs.inference.serve` (what the image's ENTRYPOINT runs)
   started as a fresh process; time to the first `GET /ping` that answers (tiny.en is loaded
   before the port opens), then the first `POST /invocations` of an English fixture. whisper-base
   is loaded on the first request that needs it: its load is timed in a fresh process too.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ("sagemaker_jobs/inference/requirements.txt", "sagemaker_jobs/inference/requirements-nodeps.txt")
COPIED = ("hark_core", "sagemaker_jobs")
CLIP = ROOT / "tests" / "fixtures" / "audio" / "ls_2412-153948-0000.flac"


def _names(file: Path) -> list[str]:
    names = []
    for line in file.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            names += _names((file.parent / line[3:].strip()).resolve())
        elif line:
            names.append(Requirement(line).name)
    return names


def _closure(names: list[str], follow: bool) -> set[str]:
    """The distributions installed for `names` (and, with `follow`, everything they require)."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = re.sub(r"[-_.]+", "-", todo.pop()).lower()
        if name in seen:
            continue
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        seen.add(name)
        if follow:
            for spec in dist.requires or ():
                requirement = Requirement(spec)
                if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                    todo.append(requirement.name)
    return seen


def _size(name: str) -> int:
    dist = importlib.metadata.distribution(name)
    return sum(Path(str(dist.locate_file(f))).stat().st_size for f in dist.files or () if Path(str(dist.locate_file(f))).is_file())


def _tree(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def footprint() -> None:
    from sagemaker_jobs.asr import speech_models

    with_deps = _closure(_names(ROOT / REQUIREMENTS[0]), follow=True)
    no_deps = _closure(_names(ROOT / REQUIREMENTS[1]), follow=False)
    sizes = sorted(((_size(n), n) for n in with_deps | no_deps), reverse=True)
    packages = sum(s for s, _ in sizes)
    base = _tree(speech_models.model_dir(speech_models.BASE))
    code = sum(_tree(ROOT / folder) for folder in COPIED)
    print("| what the image adds to its CUDA base | MB |")
    print("|---|---|")
    print(f"| Python packages ({len(sizes)} distributions) | {packages / 1e6:.0f} |")
    for size, name in sizes[:8]:
        print(f"| - {name} | {size / 1e6:.0f} |")
    print(f"| whisper-base, joined (/opt/models) | {base / 1e6:.0f} |")
    print(f"| Hark's code (hark_core, sagemaker_jobs) | {code / 1e6:.1f} |")
    print(f"| **total** | **{(packages + base + code) / 1e6:.0f}** |")
    print("(whisper-base's two PyPI halves stay installed next to the joined copy: counted in the packages)\n")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cold_start() -> None:
    port = _free_port()
    env = {**os.environ, "HARK_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "sagemaker_jobs.inference.serve", "--port", str(port)], env=env)
    try:
        url = f"http://127.0.0.1:{port}"
        while True:
            try:
                if httpx.get(f"{url}/ping", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None:
                raise SystemExit("the inference server exited before answering /ping")
            time.sleep(0.05)
        ready = time.perf_counter() - started
        sent = time.perf_counter()
        answer = httpx.post(f"{url}/invocations", content=CLIP.read_bytes(), headers={"Content-Type": "audio/flac"}, timeout=120)
        first = time.perf_counter() - sent
        sent = time.perf_counter()
        httpx.post(f"{url}/invocations", content=CLIP.read_bytes(), headers={"Content-Type": "audio/flac"}, timeout=120)
        warm = time.perf_counter() - sent
        answer.raise_for_status()
    finally:
        server.terminate()
        server.wait()
    load_base = (
        "import time, os; t = time.perf_counter(); "
        "from sagemaker_jobs.asr.engine import Engine, EngineSettings; "
        "Engine(EngineSettings.from_env(os.environ, 'whisper-base')); print(time.perf_counter() - t)"
    )
    base_s = float(subprocess.run([sys.executable, "-c", load_base], env=env, capture_output=True, text=True, check=True).stdout)
    print("| cold start (2-core CPU, tiny.en int8) | s |")
    print("|---|---|")
    print(f"| process start -> first GET /ping 200 (imports, tiny.en loaded) | {ready:.2f} |")
    print(f"| first POST /invocations, {CLIP.name} | {first:.2f} |")
    print(f"| the same request again (warm) | {warm:.2f} |")
    print(f"| whisper-base loaded on its first request (imports and load, fresh process) | {base_s:.2f} |")


def main() -> None:
    footprint()
    cold_start()


if __name__ == "__main__":
    main()
