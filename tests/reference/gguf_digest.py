"""Reference dequantization of every tensor of a GGUF file, by the Python `gguf` package
(llama.cpp's own reader, NumPy maths). Prints one JSON object: for each tensor its row-major
shape, storage type, and the SHA-256 of its values as little-endian f32 bytes.

Used by crates/ledge-llm/tests/it/gguf.rs to check our dequantization bit for bit."""

import hashlib
import json
import sys

import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize


def main(path: str) -> None:
    reader = GGUFReader(path)
    digests = {}
    for tensor in reader.tensors:
        values = dequantize(tensor.data, tensor.tensor_type).astype("<f4", copy=False)
        digests[tensor.name] = {
            "shape": [int(d) for d in reversed(tensor.shape)],
            "type": tensor.tensor_type.name,
            "sha256": hashlib.sha256(np.ascontiguousarray(values).tobytes()).hexdigest(),
        }
    json.dump(digests, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
