"""Greedy generation with mlx-lm's own generation loop (prompt cache, argmax sampling) on a
model folder, starting from given prompt token ids: the reference for Ledge's generation loop.

    python mlx_lm_generate.py MODEL_DIR MAX_TOKENS < prompts.json

stdin: a JSON list of prompts, each a list of token ids; stdout: a JSON list with, for each
prompt, the generated ids (stopping after an end-of-text id of the tokenizer, which is
included, or at MAX_TOKENS). Used by crates/ledge-llm/tests/it/generate.rs."""

import json
import sys

import mlx.core as mx
from mlx_lm import load
from mlx_lm.generate import generate_step


def main(model_dir, max_tokens):
    model, tokenizer = load(model_dir)
    eos = set(tokenizer.eos_token_ids)
    answers = []
    for prompt in json.load(sys.stdin):
        ids = []
        for token, _logprobs in generate_step(
            mx.array(prompt, dtype=mx.uint32), model, max_tokens=max_tokens
        ):
            ids.append(int(token))
            if int(token) in eos:
                break
        answers.append(ids)
    json.dump(answers, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
