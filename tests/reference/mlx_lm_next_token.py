"""Loads a model folder with mlx-lm (strict: every weight present, every shape right) and
prints, as JSON, the most likely next tokens after each prompt, given as vocabulary pieces.

    python mlx_lm_next_token.py MODEL_DIR GGUF_FILE "PIECE PIECE ..." ["PIECE ..." ...]

The pieces are looked up in the GGUF file's own vocabulary (so no tokenizer is involved); the
BOS token is prepended when the GGUF says so. Used by crates/ledge-llm/tests/it/import.rs."""

import json
import sys
from pathlib import Path

import mlx.core as mx
from gguf import GGUFReader
from mlx.utils import tree_flatten
from mlx_lm.utils import load_model


def vocabulary(reader):
    field = reader.fields["tokenizer.ggml.tokens"]
    return [bytes(field.parts[i]).decode("utf-8") for i in field.data]


def scalar(reader, key):
    field = reader.fields.get(key)
    return None if field is None else field.parts[field.data[0]][0]


def main(model_dir, gguf_path, prompts):
    reader = GGUFReader(gguf_path)
    tokens = vocabulary(reader)
    index = {token: i for i, token in enumerate(tokens)}
    bos = scalar(reader, "tokenizer.ggml.add_bos_token")

    model, _config = load_model(Path(model_dir), strict=True)
    answers = []
    for prompt in prompts:
        ids = [index[piece] for piece in prompt.split(" ")]
        if bos:
            ids.insert(0, int(scalar(reader, "tokenizer.ggml.bos_token_id")))
        logits = model(mx.array([ids]))[0, -1].astype(mx.float32)
        top = mx.argsort(-logits)[:5].tolist()
        answers.append({"ids": ids, "top5": [tokens[i] for i in top]})
    parameters = sum(value.size for _, value in tree_flatten(model.parameters()))
    json.dump({"answers": answers, "parameters": parameters}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
