"""The Lambda side as deployed: the package `chalice package` builds stays small, and the
environment the stack gives every function fits Lambda's limit."""
from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import boto3
from packaging.requirements import Requirement

from chalicelib.config import Settings
from deploy.package import RUNTIME_PROVIDED
from devstack.provision import Provisioner

MAX_PACKAGE_BYTES = 10_000_000
# Lambda allows 4 KB of environment variables per function, names and values together.
MAX_ENVIRONMENT_BYTES = 4096
ROOT = Path(__file__).resolve().parents[2]
LONGEST_REGION = "ap-southeast-2"


def test_the_lambda_package_stays_under_10_mb(chalice_output: tuple[dict[str, Any], Path]) -> None:
    _, package = chalice_output
    size = package.stat().st_size
    print(f"Lambda deployment package: {size / 1e6:.2f} MB")
    assert size < MAX_PACKAGE_BYTES
    with zipfile.ZipFile(package) as archive:
        tops = {name.split("/", 1)[0] for name in archive.namelist()}
    assert {"app.py", "chalicelib", "hark_core", "pydantic", "aws_lambda_powertools"} <= tops
    assert not {t for t in tops if t.split("-", 1)[0] in RUNTIME_PROVIDED}
    # The Lambda side carries no ASR code (see requirements.txt).
    assert not {"sagemaker_jobs", "numpy", "faster_whisper", "ctranslate2"} & tops


def test_the_stack_environment_configures_the_app_and_fits_lambda(mocked_aws: None) -> None:
    """The outputs, resolved for the longest stack name deploy/ accepts, are everything
    Settings reads, and fit Lambda's limit even in a region with a longer name."""
    region = "us-east-1"  # the local provisioner creates buckets the us-east-1 way
    stack = Provisioner(lambda service: boto3.client(service, region_name=region), "h" * 28, region).create()
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    environment = {**config["environment_variables"], **stack.environment()}
    for stage in config["stages"].values():
        environment.update(stage.get("environment_variables", {}))
    Settings.from_env(environment)
    size = sum(len(k) + len(v) for k, v in environment.items())
    size += "".join(environment.values()).count(region) * (len(LONGEST_REGION) - len(region))
    assert size < MAX_ENVIRONMENT_BYTES


def test_the_training_image_requirements_cover_what_training_imports() -> None:
    """sagemaker_jobs/train/Dockerfile installs only sagemaker_jobs/train/requirements.txt:
    the entrypoint must import nothing else outside the standard library."""
    # Modules the import loads from installed distributions (not the standard library, not
    # this repository, not the interpreter's site hooks, which are loaded before it).
    code = (
        "import sys, sysconfig; before = set(sys.modules); import sagemaker_jobs.train.__main__; "
        "site = sysconfig.get_paths()['purelib']; "
        "print(' '.join(n for n, m in list(sys.modules.items()) if n not in before and (getattr(m, '__file__', None) or '').startswith(site)))"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True)
    third_party = {m.split(".")[0] for m in run.stdout.split()}
    requirements = _requirements(ROOT / "sagemaker_jobs" / "train" / "requirements.txt")
    allowed = set().union(*(_closure(name) for name in requirements))
    providers = importlib.metadata.packages_distributions()
    missing = {m for m in third_party if not set(providers.get(m, [])) & allowed}
    assert not missing, f"training imports {missing}, which its requirements do not install"


def _requirements(path: Path) -> list[str]:
    """Distribution names a requirements file pins, following its ``-r`` includes."""
    names = []
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line.startswith("-r "):
            names += _requirements(path.parent / line[3:].strip())
        elif line:
            names.append(line.split("==")[0])
    return names


def _closure(distribution: str) -> set[str]:
    """A distribution and everything it requires (extras and markers aside)."""
    found, todo = set(), [distribution]
    while todo:
        name = todo.pop()
        dist = importlib.metadata.distribution(name)
        if dist.metadata["Name"] in found:
            continue
        found.add(dist.metadata["Name"])
        requires = [Requirement(r) for r in dist.requires or []]
        # Extras aside, and dependencies of other platforms ("colorama; sys_platform == 'win32'").
        todo += [r.name for r in requires if r.marker is None or r.marker.evaluate({"extra": ""})]
    return found
