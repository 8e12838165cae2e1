"""Builds a tiny model of one architecture with random weights in mlx-lm, saves it as mlx-lm
saves models, and writes the logits mlx-lm computes for a prompt and cached decode steps.

    python mlx_lm_logits.py MODEL_DIR LOGITS_FILE MODEL_TYPE CONFIG_JSON \\
        --prompt 1,2,3 --decode 4,5,6 [--seed 0] [--dtype float32|float16|bfloat16] \\
        [--quantize BITS GROUP_SIZE]

CONFIG_JSON is the model's config.json as a JSON string (without `model_type`, which
MODEL_TYPE gives), e.g. two layers, hidden 64, vocab 256. The weights come from mlx-lm's own
initialisers under a fixed seed; one-dimensional parameters (norm weights, biases) are then
moved away from their all-ones / all-zeros start so that a norm read wrongly shows. With
--quantize the model goes through `mlx_lm.utils.quantize_model` (affine, as mlx-lm's
converter does). The folder MODEL_DIR gets `model.safetensors`, `model.safetensors.index.json`
and `config.json` from `mlx_lm.utils.save_model`/`save_config`; the model is then loaded back
from that folder with `mlx_lm.utils.load_model(strict=True)`, so the logits are those of the
folder as mlx-lm reads it.

The prompt runs as one forward pass through mlx-lm's prompt cache (`make_prompt_cache`, with
rotating caches for sliding-window layers), then each `--decode` token runs as one cached step.
LOGITS_FILE (a safetensors file, best outside MODEL_DIR) gets `prefill` [len(prompt), vocab]
and `decode_0`, `decode_1`, ... [1, vocab], all float32.

Used by crates/ledge-llm/tests/it/model.rs."""

import argparse
import json
from pathlib import Path

import mlx.core as mx
from mlx.utils import tree_flatten, tree_map, tree_unflatten
from mlx_lm.models.cache import make_prompt_cache
from mlx_lm.utils import _get_classes, load_model, quantize_model, save_config, save_model


def ids(text):
    return [int(t) for t in text.split(",") if t]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model_dir")
    parser.add_argument("logits_file")
    parser.add_argument("model_type")
    parser.add_argument("config_json")
    parser.add_argument("--prompt", type=ids, required=True)
    parser.add_argument("--decode", type=ids, default=[])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--quantize", type=int, nargs=2, metavar=("BITS", "GROUP_SIZE"))
    args = parser.parse_args()

    config = json.loads(args.config_json)
    config["model_type"] = args.model_type
    mx.random.seed(args.seed)
    model_class, args_class = _get_classes(config)
    model = model_class(args_class.from_dict(config))

    # Perturb the 1-D parameters (norm weights start at one, or zero for Gemma's 1 + w).
    params = dict(tree_flatten(model.parameters()))
    for name, value in params.items():
        if value.ndim == 1:
            params[name] = value + 0.2 * mx.random.normal(value.shape)
    # Gemma 3 checkpoints carry no lm_head: the embeddings are tied (mlx-lm's sanitize).
    if args.model_type.startswith("gemma3"):
        params.pop("lm_head.weight", None)
        if hasattr(model, "lm_head"):
            model.pop("lm_head")
            model.tie_word_embeddings = True
    dtype = getattr(mx, args.dtype)
    params = {k: v.astype(dtype) for k, v in params.items()}
    model.update(tree_unflatten(list(params.items())))
    mx.eval(model.parameters())

    if args.quantize:
        bits, group_size = args.quantize
        model, config = quantize_model(model, config, group_size, bits)

    model_dir = Path(args.model_dir)
    save_model(model_dir, model)
    config["torch_dtype"] = args.dtype
    save_config(config, model_dir / "config.json")
    del model

    # What mlx-lm reads back from the folder is the reference.
    model, _ = load_model(model_dir, strict=True)
    cache = make_prompt_cache(model)
    out = {}
    logits = model(mx.array(args.prompt)[None], cache=cache)
    out["prefill"] = logits[0].astype(mx.float32)
    for step, token in enumerate(args.decode):
        logits = model(mx.array([[token]]), cache=cache)
        out[f"decode_{step}"] = logits[0].astype(mx.float32)
    mx.eval(out)
    mx.save_safetensors(args.logits_file, out)
    print(json.dumps({"tensors": sorted(out), "model_dir": str(model_dir)}))


if __name__ == "__main__":
    main()
