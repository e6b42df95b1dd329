"""Hark against AssemblyAI's own published OpenAPI document: schemathesis generates requests for
the transcript and upload operations from it, sends them to the local stack, and checks every
answer against AssemblyAI's response schemas.

    python -m bench.aai_conformance [--spec ../shared/aai-spec/openapi.yml] [--examples 25]

The document is AssemblyAI's and is not shipped with Hark: pass its path (the default is the
development copy beside the repository). Prints, per operation, the requests sent and the
failures by check. Fields of Hark's own beyond AssemblyAI's are fine (the checks read
AssemblyAI's schemas, which allow extra properties on the transcript); AssemblyAI's fields must
keep AssemblyAI's types.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import schemathesis
import yaml
from hypothesis import HealthCheck
from schemathesis import checks

from bench.data import ROOT
from bench.stack import local_stack

OPERATIONS = ("/v2/upload", "/v2/transcript")
CHECKS = [
    checks.not_a_server_error,
    checks.response_schema_conformance,
    checks.content_type_conformance,
]


def _failure_names(error: BaseException) -> list[str]:
    """The titles of the failed checks inside a schemathesis failure (or the error's type)."""
    inner = getattr(error, "exceptions", None)
    if inner:
        return [name for e in inner for name in _failure_names(e)]
    return [str(getattr(error, "title", "") or type(error).__name__)]


def _merge_all_of(schemas: dict[str, Any]) -> None:
    """AssemblyAI's request schema is an `allOf` of two closed objects (`audio_url`, and every
    optional field), which no object satisfies as JSON Schema reads it: the parts' properties
    are merged into one closed object, as the document means it."""
    for component in schemas.values():
        if not (isinstance(component, dict) and "allOf" in component):
            continue
        parts = [schemas[part["$ref"].rsplit("/", 1)[-1]] if "$ref" in part else part for part in component["allOf"]]
        if not all(part.get("type") == "object" and "properties" in part for part in parts):
            continue
        component.pop("allOf")
        component["properties"] = {k: v for part in parts for k, v in part["properties"].items()}
        component["required"] = [name for part in parts for name in part.get("required", [])]


REAL_REQUESTS = (
    {},
    {"speaker_labels": True, "entity_detection": True, "disfluencies": True},
    {"redact_pii": True, "redact_pii_policies": ["person_name"], "redact_pii_audio": True, "filter_profanity": True},
)


def _real_transcripts(api_url: str, key: str) -> list[str]:
    headers = {"authorization": key}
    audio = (ROOT / "tests" / "fixtures" / "audio" / "ls_1089-134686-0000.flac").read_bytes()
    with httpx.Client(base_url=api_url, headers=headers, timeout=60) as client:
        upload_url = client.post("/v2/upload", content=audio).json()["upload_url"]
        ids = [client.post("/v2/transcript", json={"audio_url": upload_url, **r}).json()["id"] for r in REAL_REQUESTS]
        for transcript_id in ids:
            while client.get(f"/v2/transcript/{transcript_id}").json()["status"] not in ("completed", "error"):
                time.sleep(0.5)
    return ids


def run(spec: Path, examples: int) -> None:
    document = yaml.safe_load(spec.read_text())
    _merge_all_of(document["components"]["schemas"])
    # Hark's own fields beyond AssemblyAI's (created, queue_position, ...) are allowed in answers;
    # AssemblyAI's fields keep AssemblyAI's types. Requests stay closed.
    for name, component in document["components"]["schemas"].items():
        if isinstance(component, dict) and not name.endswith("Params"):
            component.pop("additionalProperties", None)
    with local_stack() as stack:
        document["servers"] = [{"url": stack.api_url}]
        schema = schemathesis.openapi.from_dict(document)
        sent: Counter[str] = Counter()
        failures: dict[str, Counter[str]] = defaultdict(Counter)
        examples_of: dict[str, list[str]] = defaultdict(list)

        def check(label: str, case: Any) -> None:
            """Sends the case and counts what fails, without raising: every failure is reported."""
            sent[label] += 1
            response = case.call(base_url=stack.api_url, headers={"authorization": stack.key})
            try:
                case.validate_response(response, checks=CHECKS)
            except (Exception, BaseExceptionGroup) as error:
                for name in _failure_names(error):
                    failures[label][name] += 1
                if len(examples_of[label]) < 2:
                    examples_of[label].append(f"{response.status_code}: {str(error)[:300]}")

        for result in schema.get_all_operations():
            operation = result.ok()
            if not operation.path.startswith(OPERATIONS):
                continue

            @hypothesis.given(case=operation.as_strategy())
            @hypothesis.settings(
                max_examples=examples,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            def fuzz(case: Any) -> None:
                check(operation.label, case)

            try:
                fuzz()
            except Exception as error:  # an operation no request can be generated for
                failures[operation.label][f"not generated: {type(error).__name__}"] += 1
        # Random ids and URLs mostly meet 400s and 404s: real transcripts, made with the features
        # call-analytics users ask for, are read back through every read operation as well.
        for transcript_id in _real_transcripts(stack.api_url, stack.key):
            for result in schema.get_all_operations():
                operation = result.ok()
                if operation.method.upper() != "GET" or "{transcript_id}" not in operation.path:
                    continue
                parameters = {"transcript_id": transcript_id, "subtitle_format": "srt"}
                case = operation.Case(
                    path_parameters={k: v for k, v in parameters.items() if "{" + k + "}" in operation.path},
                    query={"words": "the"} if operation.path.endswith("word-search") else None,
                )
                check(f"{operation.label} (real)", case)
    print(f"AssemblyAI's OpenAPI document against Hark: {sum(sent.values())} requests")
    print(f"{'operation':58} {'sent':>5}  failures")
    for label in sorted(set(sent) | set(failures)):
        found = ", ".join(f"{name} x{count}" for name, count in failures[label].most_common()) or "none"
        print(f"{label:58} {sent[label]:5d}  {found}")
        for example in examples_of[label]:
            print(f"    e.g. {example}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=ROOT.parent / "shared" / "aai-spec" / "openapi.yml")
    parser.add_argument("--examples", type=int, default=25)
    args = parser.parse_args()
    run(args.spec, args.examples)


if __name__ == "__main__":
    main()
