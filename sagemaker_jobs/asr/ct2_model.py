"""CTranslate2's model file (`model.bin`, binary version 6) read and written as numpy arrays.

A custom model that adapts the decoder carries only the weights it changed; the inference
container writes the base model with those weights put in as a model directory of its own, and
CTranslate2 loads that like any other. CTranslate2's Python package writes this format
(`ctranslate2.specs.ModelSpec.save`) but cannot read it back, hence this module. The layout
(as that writer lays it out): the version, the spec's name and revision, the variables (each a
name, its shape, a dtype id and its bytes), then the aliases (a name and the variable it
stands for, as the output projection that shares the embeddings).
"""

from __future__ import annotations

import shutil
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

BINARY_VERSION = 6
_DTYPES = ("float32", "int8", "int16", "int32", "float16", "bfloat16")
"""CTranslate2's dtype ids, in order. bfloat16 has no numpy type: its bytes are kept as uint16."""
MODEL_FILE = "model.bin"


class ModelFileError(ValueError):
    """A model.bin this reader does not understand."""


@dataclass
class ModelFile:
    name: str
    revision: int
    variables: dict[str, np.ndarray]
    aliases: list[tuple[str, str]] = field(default_factory=list)


def _numpy_dtype(type_id: int) -> np.dtype:
    name = _DTYPES[type_id]
    return np.dtype(np.uint16 if name == "bfloat16" else name)


def read(path: str | Path) -> ModelFile:
    data = Path(path).read_bytes()
    pos = 0

    def take(fmt: str) -> int:
        nonlocal pos
        (value,) = struct.unpack_from(fmt, data, pos)
        pos += struct.calcsize(fmt)
        return value

    def text() -> str:
        nonlocal pos
        length = take("H")  # includes the trailing NUL
        value = data[pos : pos + length - 1].decode("utf-8")
        pos += length
        return value

    version = take("I")
    if version != BINARY_VERSION:
        raise ModelFileError(f"model.bin binary version {version} (this reader knows {BINARY_VERSION})")
    name, revision = text(), take("I")
    variables = {}
    for _ in range(take("I")):
        key = text()
        shape = tuple(take("I") for _ in range(take("B")))
        dtype = _numpy_dtype(take("B"))
        size = take("I")
        # A copy, so the arrays do not pin the whole file's bytes.
        variables[key] = (
            np.frombuffer(data, dtype=dtype, count=size // dtype.itemsize, offset=pos).reshape(shape).copy()
        )
        pos += size
    aliases = [(text(), text()) for _ in range(take("I"))]
    return ModelFile(name, revision, variables, aliases)


def write(path: str | Path, model: ModelFile) -> None:
    with open(path, "wb") as out:

        def text(value: str) -> None:
            encoded = value.encode("utf-8")
            out.write(struct.pack("H", len(encoded) + 1) + encoded + b"\0")

        out.write(struct.pack("I", BINARY_VERSION))
        text(model.name)
        out.write(struct.pack("I", model.revision))
        out.write(struct.pack("I", len(model.variables)))
        for key, value in model.variables.items():
            value = np.asarray(value)  # (not ascontiguousarray: that turns a scalar into shape (1,))
            text(key)
            out.write(struct.pack("B", value.ndim))
            out.write(b"".join(struct.pack("I", d) for d in value.shape))
            out.write(struct.pack("B", _DTYPES.index(value.dtype.name)))
            out.write(struct.pack("I", value.nbytes))
            out.write(value.tobytes())
        out.write(struct.pack("I", len(model.aliases)))
        for alias, target in model.aliases:
            text(alias)
            text(target)


def with_weights(base_dir: str | Path, weights: Mapping[str, np.ndarray], out_dir: str | Path) -> Path:
    """A model directory that is `base_dir`'s with `weights` in place of its variables of the
    same names (same shapes; stored in the base's dtype). Returns `out_dir`."""
    base_dir, out_dir = Path(base_dir), Path(out_dir)
    model = read(base_dir / MODEL_FILE)
    for key, value in weights.items():
        current = model.variables.get(key)
        if current is None or current.shape != value.shape:
            raise ModelFileError(f"{key}: not a variable of the base model with shape {np.shape(value)}")
        model.variables[key] = np.asarray(value, dtype=current.dtype)
    out_dir.mkdir(parents=True, exist_ok=True)
    for item in base_dir.iterdir():
        if item.is_file() and item.name != MODEL_FILE:
            shutil.copy(item, out_dir / item.name)
    partial = out_dir / (MODEL_FILE + ".tmp")
    write(partial, model)
    partial.replace(out_dir / MODEL_FILE)
    return out_dir
