"""Renders conversations with a model folder's chat template the way Hugging Face
`transformers` does (`apply_chat_template(..., tokenize=False)`), as the reference for Ledge's
minijinja rendering.

    python chat_template.py MODEL_DIR < cases.json

stdin: a JSON list of {"messages": [{"role": ..., "content": ...}, ...],
"add_generation_prompt": bool}; stdout: a JSON list of the rendered strings.
Used by crates/ledge-llm/tests/it/generate.rs."""

import json
import sys

from transformers import PreTrainedTokenizerFast


def main(model_dir):
    tokenizer = PreTrainedTokenizerFast.from_pretrained(model_dir)
    cases = json.load(sys.stdin)
    rendered = [
        tokenizer.apply_chat_template(
            case["messages"],
            tokenize=False,
            add_generation_prompt=case["add_generation_prompt"],
        )
        for case in cases
    ]
    json.dump(rendered, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
