"""Which drop-bucket objects become transcripts, and where their results go (fakes for the
services; the real drop folder runs in tests/e2e/test_orchestration.py)."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any, Callable

import pytest

from chalicelib.services.drop_folder import DropFolder, DroppedObject, inbox_name, outbox_key
from chalicelib.wiring import _presented
from hark_core.errors import NotFound


@pytest.mark.parametrize(
    "key, expected",
    [
        ("acme/inbox/call.wav", ("acme", "call.wav")),
        ("acme/inbox/2026/12/call.wav", ("acme", "2026/12/call.wav")),
        ("acme/outbox/call.json", None),
        ("acme/inbox/", None),
        ("acme/inbox/folder/", None),
        ("call.wav", None),
        ("/inbox/call.wav", None),
    ],
)
def test_inbox_names(key: str, expected: tuple[str, str] | None) -> None:
    assert inbox_name(key) == expected


def test_outbox_keys_mirror_the_inbox_path() -> None:
    assert outbox_key("acme", "2026/12/call.v2.wav", ".srt") == "acme/outbox/2026/12/call.v2.srt"


@pytest.fixture()
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """caplog for chalicelib's loggers, which do not propagate once powertools is set up
    (see chalicelib.observability)."""
    logger = logging.getLogger("chalicelib")
    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO, logger="chalicelib"):
            yield caplog
    finally:
        logger.removeHandler(caplog.handler)


class FakeKeys:
    def exists(self, tenant_id: str) -> bool:
        return tenant_id == "acme"


class FakeTranscripts:
    def __init__(self) -> None:
        self.submitted: list[str] = []

    def submit_dropped(self, tenant_id: str, request: Any, bucket: str, key: str) -> Any:
        self.submitted.append(key)
        return type("Record", (), {"transcript_id": f"t{len(self.submitted)}"})()


class FakeObjects:
    def get_size(self, bucket: str, key: str) -> int:
        raise NotFound(key)


def folder(transcripts: FakeTranscripts) -> DropFolder:
    def once(function: Callable[..., Any]) -> Callable[..., Any]:
        return function  # idempotency itself is powertools'; tested for real end to end

    return DropFolder(transcripts, FakeKeys(), FakeObjects(), once, _presented)  # type: ignore[arg-type]


def test_inbox_audio_of_a_known_tenant_is_submitted() -> None:
    transcripts = FakeTranscripts()
    assert folder(transcripts).arrived(DroppedObject(bucket="b", key="acme/inbox/call.wav")) == "t1"
    assert transcripts.submitted == ["acme/inbox/call.wav"]


@pytest.mark.parametrize("key", ["acme/inbox/call.json", "acme/outbox/call.json", "acme/outbox/call.srt"])
def test_sidecars_and_results_are_skipped_quietly(key: str, logs: pytest.LogCaptureFixture) -> None:
    transcripts = FakeTranscripts()
    assert folder(transcripts).arrived(DroppedObject(bucket="b", key=key)) is None
    assert transcripts.submitted == [] and not logs.records


@pytest.mark.parametrize("key", ["intruder/inbox/call.wav", "acme/elsewhere/call.wav", "call.wav"])
def test_objects_outside_a_known_tenants_inbox_are_rejected_and_logged(key: str, logs: pytest.LogCaptureFixture) -> None:
    transcripts = FakeTranscripts()
    assert folder(transcripts).arrived(DroppedObject(bucket="b", key=key)) is None
    assert transcripts.submitted == []
    assert any(r.levelno == logging.WARNING and "rejected" in r.getMessage() for r in logs.records)
