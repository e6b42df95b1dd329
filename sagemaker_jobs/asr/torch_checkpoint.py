"""Reads the tensors of a checkpoint in torch's legacy (pre-zip) format as numpy arrays, without torch.

The legacy format is a run of pickles: a magic number, the protocol version, the writer's system
info, the object itself (its tensors refer to storages by persistent id), and the list of storage
keys. After them comes each storage, in the order of that list, as an 8-byte little-endian element
count followed by the raw little-endian elements.

Only the three globals such a checkpoint needs are resolved (an OrderedDict, a storage type and
torch's tensor rebuild function); any other global is refused, so loading a file runs no code
from it.
"""

import io
import pickle
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

_MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
_PROTOCOL_VERSION = 1001
_STORAGE_DTYPES = {
    "FloatStorage": np.dtype("<f4"),
    "DoubleStorage": np.dtype("<f8"),
    "HalfStorage": np.dtype("<f2"),
    "LongStorage": np.dtype("<i8"),
    "IntStorage": np.dtype("<i4"),
}


class CheckpointFormatError(ValueError):
    """The file is not a legacy torch checkpoint this reader understands."""


@dataclass
class _Storage:
    dtype: np.dtype
    data: np.ndarray | None = None


@dataclass(frozen=True)
class _TensorRef:
    """A tensor whose storage is read only after the object pickle: materialised by `array`."""

    storage: _Storage
    offset: int
    shape: tuple[int, ...]
    strides: tuple[int, ...]

    def array(self) -> np.ndarray:
        assert self.storage.data is not None, "storages are filled before tensors are materialised"
        itemsize = self.storage.dtype.itemsize
        view = np.lib.stride_tricks.as_strided(
            self.storage.data[self.offset :], self.shape, tuple(s * itemsize for s in self.strides)
        )
        return view.astype(self.storage.dtype.newbyteorder("="))


def _rebuild_tensor_v2(
    storage: _Storage, offset: int, shape: tuple[int, ...], strides: tuple[int, ...], *_: Any
) -> _TensorRef:
    return _TensorRef(storage, offset, tuple(shape), tuple(strides))


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, storages: dict[str, _Storage]) -> None:
        super().__init__(file)
        self._storages = storages

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("collections", "OrderedDict"):
            return OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor_v2
        if module == "torch" and name in _STORAGE_DTYPES:
            return _STORAGE_DTYPES[name]
        raise pickle.UnpicklingError(f"refusing global {module}.{name} in a checkpoint")

    def persistent_load(self, pid: Any) -> _Storage:
        kind, dtype, key, _location, _size, view = pid
        if kind != "storage" or view is not None:
            raise CheckpointFormatError(f"unsupported persistent id {pid!r}")
        # Tensors that share a storage (LSTM weights flattened by cuDNN) must share one object.
        return self._storages.setdefault(key, _Storage(dtype))


def load_state_dict(path: Path, key: str) -> dict[str, np.ndarray]:
    """The tensors of `checkpoint[key]` (a state dict) as arrays, by parameter name."""
    stream = io.BytesIO(path.read_bytes())
    if pickle.load(stream) != _MAGIC_NUMBER or pickle.load(stream) != _PROTOCOL_VERSION:
        raise CheckpointFormatError(f"{path} is not a legacy torch checkpoint")
    if not pickle.load(stream).get("little_endian"):
        raise CheckpointFormatError(f"{path} was written on a big-endian machine")
    storages: dict[str, _Storage] = {}
    checkpoint = _Unpickler(stream, storages).load()
    for storage_key in pickle.load(stream):
        storage = storages[storage_key]
        count = int(np.frombuffer(stream.read(8), "<i8")[0])
        storage.data = np.frombuffer(stream.read(count * storage.dtype.itemsize), storage.dtype)
    return {name: tensor.array() for name, tensor in checkpoint[key].items()}
