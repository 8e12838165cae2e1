"""mlx-lm's side of `ledge bench`: load time, time to first token for given prompts, decode
speed and peak memory of mlx-lm on a model folder, with the prompt token ids Ledge used.

    python mlx_lm_bench.py MODEL_DIR < request.json

stdin: {"warmup": [ids], "prompts": [[ids], ...], "decode_prompt": [ids], "decode_tokens": N}.
The ids are fed as they are (nothing is re-tokenised). Generation is mlx-lm's own loop,
`generate_step`, greedy, with its default prefill step; end-of-text ids are not checked, so
decoding always runs N tokens.

stdout: {"load_seconds", "prefill": [{"prompt_tokens", "time_to_first_token_ms",
"tokens_per_second"}], "decode": {"prompt_tokens", "tokens", "tokens_per_second"},
"peak_rss_mib", "blas", "mlx_version", "mlx_lm_version", "prefill_step_size"}.

Run by crates/ledge-cli/src/bench.rs (`ledge bench`)."""

import ctypes
import inspect
import json
import os
import resource
import sys
import time

import mlx.core as mx
import mlx_lm
from mlx_lm import load
from mlx_lm.generate import generate_step


def peak_rss_mib():
    """The process's peak resident set: VmHWM on Linux, ru_maxrss elsewhere."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


class DlInfo(ctypes.Structure):
    _fields_ = [
        ("dli_fname", ctypes.c_char_p),
        ("dli_fbase", ctypes.c_void_p),
        ("dli_sname", ctypes.c_char_p),
        ("dli_saddr", ctypes.c_void_p),
    ]


def blas():
    """The file `cblas_sgemm` resolves to from the loaded libmlx (MLX's CPU matmuls)."""
    try:
        lib_dir = os.path.join(os.path.dirname(mx.__file__), "lib")
        names = [n for n in os.listdir(lib_dir) if n.startswith("libmlx.")]
        if not names:
            return "unknown (libmlx not found)"
        handle = ctypes.CDLL(os.path.join(lib_dir, names[0]))
        address = ctypes.cast(handle.cblas_sgemm, ctypes.c_void_p).value
        info = DlInfo()
        if ctypes.CDLL(None).dladdr(ctypes.c_void_p(address), ctypes.byref(info)) == 0:
            return "unknown"
        return os.path.realpath(info.dli_fname.decode())
    except (OSError, AttributeError) as error:
        return f"unknown ({error})"


def first_token(model, ids):
    """Seconds from the call to the first generated token, as a caller of mlx-lm sees it."""
    mx.synchronize()
    started = time.perf_counter()
    steps = generate_step(mx.array(ids, dtype=mx.uint32), model, max_tokens=1)
    next(steps)
    elapsed = time.perf_counter() - started
    steps.close()
    mx.synchronize()
    return elapsed


def decode(model, ids, tokens):
    """Tokens per second after the first, over `tokens` generated tokens."""
    mx.synchronize()
    started = None
    count = 0
    for _token, _logprobs in generate_step(
        mx.array(ids, dtype=mx.uint32), model, max_tokens=tokens
    ):
        count += 1
        if started is None:
            started = time.perf_counter()
    elapsed = time.perf_counter() - started
    return (count - 1) / max(elapsed, 1e-9), count


def main(model_dir):
    request = json.load(sys.stdin)
    if not mx.metal.is_available():
        mx.set_default_device(mx.cpu)
    started = time.perf_counter()
    model, _tokenizer = load(model_dir)
    load_seconds = time.perf_counter() - started

    first_token(model, request["warmup"])
    prefill = []
    for ids in request["prompts"]:
        seconds = first_token(model, ids)
        prefill.append(
            {
                "prompt_tokens": len(ids),
                "time_to_first_token_ms": seconds * 1000,
                "tokens_per_second": len(ids) / seconds,
            }
        )
    speed, count = decode(model, request["decode_prompt"], request["decode_tokens"])
    step = inspect.signature(generate_step).parameters["prefill_step_size"].default
    json.dump(
        {
            "load_seconds": load_seconds,
            "prefill": prefill,
            "decode": {
                "prompt_tokens": len(request["decode_prompt"]),
                "tokens": count,
                "tokens_per_second": speed,
            },
            "peak_rss_mib": peak_rss_mib(),
            "blas": blas(),
            "mlx_version": mx.__version__,
            "mlx_lm_version": mlx_lm.__version__,
            "prefill_step_size": step,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main(sys.argv[1])
