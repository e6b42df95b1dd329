"""Reading infra/template.yaml: YAML with CloudFormation's short-form tags, and the
intrinsic functions the local stack needs to resolve (Ref, GetAtt, Sub, Join)."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable

import yaml

TEMPLATE = Path(__file__).resolve().parent.parent / "infra" / "template.yaml"


class _Loader(yaml.SafeLoader):
    pass


def _tag(name: str) -> Callable[[yaml.Loader, yaml.Node], dict[str, Any]]:
    key = "Ref" if name == "Ref" else f"Fn::{name}"

    def construct(loader: yaml.Loader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if name == "GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {key: value}

    return construct


for _name in ("Ref", "GetAtt", "Sub", "Join", "Select", "Split", "If", "Equals", "Not", "And", "Or", "FindInMap", "Base64", "ImportValue", "GetAZs"):
    _Loader.add_constructor(f"!{_name}", _tag(_name))


def load(path: Path = TEMPLATE) -> dict[str, Any]:
    return yaml.load(path.read_text(), Loader=_Loader)  # noqa: S506 - SafeLoader subclass


def references(node: Any) -> set[str]:
    """Logical ids a template fragment depends on."""
    found: set[str] = set()
    if isinstance(node, dict):
        if "Ref" in node and isinstance(node["Ref"], str):
            found.add(node["Ref"])
        if "Fn::GetAtt" in node:
            found.add(node["Fn::GetAtt"][0])
        if "Fn::Sub" in node:
            text = node["Fn::Sub"] if isinstance(node["Fn::Sub"], str) else node["Fn::Sub"][0]
            found.update(m.split(".")[0] for m in re.findall(r"\$\{([^!}][^}]*)\}", text))
        for value in node.values():
            found |= references(value)
    elif isinstance(node, list):
        for value in node:
            found |= references(value)
    return {r for r in found if not r.startswith("AWS::")}


class Resolver:
    """Evaluates intrinsic functions against known values: parameters, pseudo parameters,
    and for each created resource its Ref value and attributes."""

    def __init__(self, values: dict[str, Any], attributes: dict[str, dict[str, Any]]) -> None:
        self.values = values
        self.attributes = attributes

    def __call__(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self(v) for v in node]
        if not isinstance(node, dict):
            return node
        if "Ref" in node:
            return self.values[node["Ref"]]
        if "Fn::GetAtt" in node:
            logical, attribute = node["Fn::GetAtt"]
            return self.attributes[logical][attribute]
        if "Fn::Sub" in node:
            spec = node["Fn::Sub"]
            text, extra = (spec, {}) if isinstance(spec, str) else (spec[0], self(spec[1]))
            return re.sub(r"\$\{([^!}][^}]*)\}", lambda m: str(extra.get(m.group(1)) or self._name(m.group(1))), text)
        if "Fn::Join" in node:
            separator, parts = node["Fn::Join"]
            return separator.join(str(p) for p in self(parts))
        return {k: self(v) for k, v in node.items()}

    def _name(self, expression: str) -> Any:
        if "." in expression:
            logical, attribute = expression.split(".", 1)
            return self.attributes[logical][attribute]
        return self.values[expression]
