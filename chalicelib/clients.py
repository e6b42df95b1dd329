"""The one place boto3 clients are made. Nothing is created at import: boto3 alone takes
longer to import than the API's cold-start budget allows, so it is imported on first use.

Endpoints are boto3's own business: locally ``AWS_ENDPOINT_URL`` points every service at
moto and ``AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME`` at the local SageMaker runner, so this code
is the same on AWS and on the local stack.
"""
from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

from chalicelib.config import settings


# lru_cache alone lets concurrent first calls each build a client (tens of ms of CPU each):
# the local server runs requests on threads, so the first burst of requests would.
_lock = threading.Lock()


def client(service: str) -> Any:
    with _lock:
        return _client(service)


@lru_cache(maxsize=None)
def _client(service: str) -> Any:
    import boto3  # deferred: see module docstring
    from botocore.config import Config

    return boto3.session.Session().client(
        service,
        region_name=settings().region,
        config=Config(retries={"mode": "standard", "max_attempts": 5}),
    )


def reset() -> None:
    """Forget cached clients (tests and the local stack switch endpoints between runs)."""
    with _lock:
        _client.cache_clear()
    settings.cache_clear()
