"""Reference tokenization from a GGUF file's tokenizer metadata, by Hugging Face transformers'
own GGUF tokenizer converter (`transformers.integrations.gguf.gguf_tokenizer_mapping`), which
builds a `tokenizers` tokenizer from the vocabulary, merges, scores and token types.

    python gguf_tokenize.py GGUF_FILE < texts.json

stdin: a JSON list of strings. stdout: one JSON object,
`{"ids": [[id, ...], ...], "add_bos": bool, "add_eos": bool}`, one id list per text, with BOS
and EOS added as the file's `tokenizer.ggml.add_bos_token` / `add_eos_token` say (transformers'
defaults when absent: BOS yes for SentencePiece vocabularies). Special tokens in the text are
matched whole.

transformers' own GGUF reader needs torch, which this environment does not have, so the
metadata is read with the `gguf` package (llama.cpp's reader) into the dictionaries transformers'
`get_gguf_tokenizer` would build, and handed to its `convert_gguf_tokenizer`.

Used by crates/ledge-llm/tests/it/tokenizer.rs."""

import json
import sys

from gguf import GGUFReader, GGUFValueType
from transformers.integrations.gguf.gguf_tokenizer_mapping import (
    GGUF_TOKENIZER_MAPPING,
    convert_gguf_tokenizer,
)


def field_value(field):
    """A metadata value as Python data: strings decoded, arrays as lists."""
    if field.types[0] == GGUFValueType.ARRAY:
        if field.types[-1] == GGUFValueType.STRING:
            return [bytes(field.parts[i]).decode("utf-8") for i in field.data]
        return [field.parts[i].tolist()[0] for i in field.data]
    if field.types[0] == GGUFValueType.STRING:
        return bytes(field.parts[field.data[0]]).decode("utf-8")
    return field.parts[field.data[0]].tolist()[0]


def main(path):
    reader = GGUFReader(path)
    metadata = {name: field_value(field) for name, field in reader.fields.items()}
    architecture = metadata["general.architecture"]
    tokenizer_dict = {
        name: metadata[f"tokenizer.{key}"]
        for key, name in GGUF_TOKENIZER_MAPPING["tokenizer"].items()
        if f"tokenizer.{key}" in metadata
    }
    sentencepiece = tokenizer_dict.get("tokenizer_type") == "llama"
    add_bos = bool(metadata.get("tokenizer.ggml.add_bos_token", sentencepiece))
    add_eos = bool(metadata.get("tokenizer.ggml.add_eos_token", False))
    bos = metadata.get("tokenizer.ggml.bos_token_id")
    eos = metadata.get("tokenizer.ggml.eos_token_id")

    tokenizer, _ = convert_gguf_tokenizer(architecture, tokenizer_dict)
    texts = json.load(sys.stdin)
    results = []
    for text in texts:
        ids = tokenizer.encode(text, add_special_tokens=False).ids
        if add_bos and bos is not None:
            ids.insert(0, bos)
        if add_eos and eos is not None:
            ids.append(eos)
        results.append(ids)
    json.dump({"ids": results, "add_bos": add_bos, "add_eos": add_eos}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
