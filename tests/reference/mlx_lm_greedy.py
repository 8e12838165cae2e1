"""Greedy continuations of prompts (token ids) by mlx-lm on a model folder, and its decode
speed, printed as JSON.

    python mlx_lm_greedy.py MODEL_DIR NEW_TOKENS "ID,ID,..." ["ID,ID,..." ...]

The folder is loaded strictly (`mlx_lm.utils.load_model`); each prompt runs through
`mlx_lm.generate.generate_step` with its default (argmax) sampler and a fresh prompt cache,
for NEW_TOKENS tokens, end-of-sequence tokens included (the caller compares raw ids).
Prints `{"continuations": [[id, ...], ...], "decode_tokens_per_second": x}` where the speed
is over the tokens after the first of each prompt (the first includes the prefill).

Used by crates/ledge-llm/tests/it/model.rs."""

import json
import sys
import time
from pathlib import Path

import mlx.core as mx
from mlx_lm.generate import generate_step
from mlx_lm.utils import load_model


def main(model_dir, new_tokens, prompts):
    model, _config = load_model(Path(model_dir), strict=True)
    continuations = []
    decode_seconds = 0.0
    decode_tokens = 0
    for prompt in prompts:
        ids = [int(t) for t in prompt.split(",") if t]
        tokens = []
        started = None
        for token, _logprobs in generate_step(
            mx.array(ids), model, max_tokens=new_tokens
        ):
            tokens.append(int(token))
            if started is None:
                started = time.perf_counter()
        if started is not None and len(tokens) > 1:
            decode_seconds += time.perf_counter() - started
            decode_tokens += len(tokens) - 1
        continuations.append(tokens)
    speed = decode_tokens / decode_seconds if decode_seconds > 0 else None
    print(
        json.dumps(
            {"continuations": continuations, "decode_tokens_per_second": speed}
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3:])
