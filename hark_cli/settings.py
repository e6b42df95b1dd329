"""Where the CLI finds the API and its key: flags, then HARK_API_URL / HARK_API_KEY, then
the local stack that `make serve` is running (its state file)."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from hark_cli.client import CliError

REPO = Path(__file__).resolve().parent.parent
LOCAL_API = "http://127.0.0.1:8000"


def state_file() -> Path:
    return Path(os.environ.get("HARK_STATE_FILE") or REPO / ".hark" / "local-stack.json")


def local_stack() -> dict[str, str]:
    try:
        return dict(json.loads(state_file().read_text()))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


@dataclass(frozen=True)
class Target:
    api_url: str
    key: str


def resolve(api_url: Optional[str], api_key: Optional[str]) -> Target:
    local = local_stack()
    url = api_url or os.environ.get("HARK_API_URL") or local.get("HARK_API_URL") or LOCAL_API
    key = api_key or os.environ.get("HARK_API_KEY") or local.get("HARK_DEV_API_KEY")
    if not key:
        raise CliError("no API key: set HARK_API_KEY or pass --api-key (the local stack's key comes from `make serve`)")
    return Target(url, key)
