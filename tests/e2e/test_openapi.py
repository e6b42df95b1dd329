"""Hark's own OpenAPI document (GET /v2/openapi.json), fuzzed against the local stack with
schemathesis: every operation on its own, then chains that follow the document's links
(upload -> transcript -> its exports -> delete). No answer may be a server error, and every
answer must be one the document describes, in the shape it describes."""

from __future__ import annotations

from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from schemathesis import checks

from tests.e2e.conftest import Stack

pytestmark = pytest.mark.timeout(900)
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.ignored_auth,
]
# Few examples per operation: each request crosses the whole local stack (moto, the pollers),
# and a transcript that passes validation becomes a real job.
SETTINGS = hypothesis.settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def hark_schema(stack: Stack) -> Any:
    return schemathesis.openapi.from_url(f"{stack.api_url}/v2/openapi.json")


def test_every_operation_answers_as_documented(hark_schema: Any, stack: Stack) -> None:
    # Each operation under Hypothesis by hand: schemathesis' pytest plugin does not run under
    # this pytest (it reads a node attribute pytest 9 no longer has).
    failures = {}
    operations = [result.ok() for result in hark_schema.get_all_operations()]
    assert len(operations) >= 9
    for operation in operations:

        @hypothesis.given(case=operation.as_strategy())
        @SETTINGS
        def fuzz(case: Any) -> None:
            case.call_and_validate(headers={"authorization": stack.key}, checks=CHECKS)

        try:
            fuzz()
        except Exception as error:  # every operation is tried; all failures are reported together
            failures[operation.label] = error
    assert not failures, "\n\n".join(f"{label}: {error}" for label, error in failures.items())


def test_chains_of_calls_answer_as_documented(hark_schema: Any, stack: Stack) -> None:
    class Workflow(hark_schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": {"authorization": stack.key}}

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS, headers={"authorization": stack.key})

    Workflow.run(settings=hypothesis.settings(SETTINGS, max_examples=15, stateful_step_count=6))


def test_the_document_is_public_and_names_this_server(stack: Stack) -> None:
    import httpx

    document = httpx.get(f"{stack.api_url}/v2/openapi.json", timeout=30).json()
    assert document["servers"] == [{"url": stack.api_url}]
    assert "createTranscript" in {op["operationId"] for path in document["paths"].values() for op in path.values()}
