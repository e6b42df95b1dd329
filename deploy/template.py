"""Reading infra/template.yaml: YAML with CloudFormation's short-form tags, and the
intrinsic functions the local stack needs to resolve (Ref, GetAtt, Sub, Join, and conditions:
If, Equals, Not)."""
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


def environment_name(output: str) -> str:
    """The Lambda environment variable a stack output becomes: ``KeysTable`` → ``HARK_KEYS_TABLE``."""
    return "HARK_" + re.sub(r"(?<!^)(?=[A-Z])", "_", output).upper()


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


_NO_VALUE = object()  # AWS::NoValue: the property or list item is left out


class Resolver:
    """Evaluates intrinsic functions against known values: parameters, pseudo parameters,
    the template's conditions, and for each created resource its Ref value and attributes."""

    def __init__(self, values: dict[str, Any], attributes: dict[str, dict[str, Any]]) -> None:
        self.values = values
        self.attributes = attributes
        self.conditions: dict[str, bool] = {}

    def evaluate_conditions(self, conditions: dict[str, Any]) -> None:
        self.conditions = {name: bool(self(expression)) for name, expression in conditions.items()}

    def __call__(self, node: Any) -> Any:
        if isinstance(node, list):
            return [v for v in (self(item) for item in node) if v is not _NO_VALUE]
        if not isinstance(node, dict):
            return node
        if node == {"Ref": "AWS::NoValue"}:
            return _NO_VALUE
        if "Ref" in node:
            return self.values[node["Ref"]]
        if "Fn::If" in node:
            condition, if_true, if_false = node["Fn::If"]
            return self(if_true if self.conditions[condition] else if_false)
        if "Fn::Equals" in node:
            left, right = self(node["Fn::Equals"])
            return left == right
        if "Fn::Not" in node:
            return not self(node["Fn::Not"][0])
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
        return {k: v for k, v in ((k, self(v)) for k, v in node.items()) if v is not _NO_VALUE}

    def _name(self, expression: str) -> Any:
        if "." in expression:
            logical, attribute = expression.split(".", 1)
            return self.attributes[logical][attribute]
        return self.values[expression]
