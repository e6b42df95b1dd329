"""Fixtures of the integration tier."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from deploy.package import chalice_package, core_template


@pytest.fixture(scope="session")
def chalice_output(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    """`chalice package` of the prod stage, as `make deploy` runs it: its SAM template and
    the Lambda package. The first run downloads Linux wheels for the Lambda runtime."""
    return chalice_package("prod", tmp_path_factory.mktemp("chalice"), core_template())


@pytest.fixture(scope="session")
def chalice_sam(chalice_output: tuple[dict[str, Any], Path]) -> dict[str, Any]:
    return chalice_output[0]


@pytest.fixture()
def mocked_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto in process: fake credentials, and no AWS_ENDPOINT_URL that would send the calls
    to a running local stack instead."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield
