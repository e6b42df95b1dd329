"""The EventBridge contract: the published schemas are the detail models'."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.orchestration.state_events import SCHEMAS, schema

EVENTS = Path(__file__).resolve().parents[3] / "infra" / "events"


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_the_schema_files_match_the_detail_models(name: str) -> None:
    # After changing a model: python -m chalicelib.orchestration.state_events infra/events
    assert json.loads((EVENTS / f"{name}.schema.json").read_text()) == schema(name)


def test_the_state_machines_publish_only_fields_of_the_schemas() -> None:
    machines = Path(__file__).resolve().parents[3] / "infra" / "statemachines"
    allowed = {
        "Transcript State Change": set(SCHEMAS["transcript-state-change"][1].model_fields),
        "Custom Model State Change": set(SCHEMAS["custom-model-state-change"][1].model_fields),
    }
    found = 0
    for path in machines.glob("*.asl.json"):
        for state in json.loads(path.read_text())["States"].values():
            for entry in state.get("Parameters", {}).get("Entries", []):
                fields = {key.removesuffix(".$") for key in entry["Detail"]}
                assert fields <= allowed[entry["DetailType"]], (path.name, fields)
                found += 1
    assert found == 4
