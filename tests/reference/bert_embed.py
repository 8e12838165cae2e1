"""Our own NumPy reference for BERT sentence embeddings (sentence-transformers style): reads a
JSON list of texts on stdin and prints, as JSON, one L2-normalised embedding per text.

    python bert_embed.py MODEL_DIR < texts.json

This is Ledge's own plain NumPy forward pass, written separately from the Rust/MLX embedder in
crates/ledge-llm/src/embed.rs and sharing no code with it: no MLX, no torch, float64
throughout, the exact erf GELU (math.erf), and each text run on its own with no padding at all,
so no attention mask is involved. Only the tokenizer is shared: the Python `tokenizers` library
reads the same tokenizer.json (its fixed padding turned off, truncation at the
sentence-transformers max_seq_length). (The PyPI package mlx-embeddings was considered first and
rejected: it needs mlx-vlm, which would upgrade MLX past the pinned 0.32.2 and pull in opencv,
pyarrow and mlx-audio.)

Used by crates/ledge-llm/tests/it/embed.rs."""

import json
import math
import sys
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

ERF = np.frompyfunc(math.erf, 1, 1)


def load_weights(model_dir):
    weights = {}
    for name, tensor in load_file(str(Path(model_dir) / "model.safetensors")).items():
        if name.startswith("bert."):
            name = name[len("bert.") :]
        name = name.replace("LayerNorm.gamma", "LayerNorm.weight")
        name = name.replace("LayerNorm.beta", "LayerNorm.bias")
        weights[name] = tensor.astype(np.float64)
    return weights


def layer_norm(x, weight, bias, eps):
    mean = x.mean(axis=-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + eps) * weight + bias


def gelu(x):
    return 0.5 * x * (1.0 + ERF(x / math.sqrt(2.0)).astype(np.float64))


def forward(w, config, ids, type_ids):
    """Hidden states (tokens, hidden) of one unpadded sequence."""
    eps = config["layer_norm_eps"]
    heads = config["num_attention_heads"]
    positions = np.arange(len(ids))
    x = (
        w["embeddings.word_embeddings.weight"][ids]
        + w["embeddings.position_embeddings.weight"][positions]
        + w["embeddings.token_type_embeddings.weight"][type_ids]
    )
    x = layer_norm(
        x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps
    )
    tokens, hidden = x.shape
    head_dim = hidden // heads
    for i in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{i}."

        def linear(v, name):
            return v @ w[p + name + ".weight"].T + w[p + name + ".bias"]

        def split(v):
            return v.reshape(tokens, heads, head_dim).transpose(1, 0, 2)

        q = split(linear(x, "attention.self.query"))
        k = split(linear(x, "attention.self.key"))
        v = split(linear(x, "attention.self.value"))
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(head_dim)
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ v).transpose(1, 0, 2).reshape(tokens, hidden)
        x = layer_norm(
            linear(context, "attention.output.dense") + x,
            w[p + "attention.output.LayerNorm.weight"],
            w[p + "attention.output.LayerNorm.bias"],
            eps,
        )
        inner = gelu(linear(x, "intermediate.dense"))
        x = layer_norm(
            linear(inner, "output.dense") + x,
            w[p + "output.LayerNorm.weight"],
            w[p + "output.LayerNorm.bias"],
            eps,
        )
    return x


def main(model_dir):
    model_dir = Path(model_dir)
    config = json.loads((model_dir / "config.json").read_text())
    pooling = json.loads((model_dir / "1_Pooling/config.json").read_text())
    max_len = config["max_position_embeddings"]
    st_config = model_dir / "sentence_bert_config.json"
    if st_config.is_file():
        max_len = min(max_len, json.loads(st_config.read_text())["max_seq_length"])

    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=max_len)
    weights = load_weights(model_dir)

    vectors = []
    for text in json.load(sys.stdin):
        encoding = tokenizer.encode(text)
        hidden = forward(weights, config, encoding.ids, encoding.type_ids)
        if pooling.get("pooling_mode_mean_tokens"):
            vector = hidden.mean(axis=0)
        elif pooling.get("pooling_mode_cls_token"):
            vector = hidden[0]
        else:
            raise SystemExit(f"unsupported pooling: {pooling}")
        vector /= np.linalg.norm(vector)
        vectors.append({"tokens": len(encoding.ids), "vector": vector.tolist()})
    json.dump(vectors, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
