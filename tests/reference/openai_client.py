"""Drives `ledge serve` with the official `openai` Python client (and plain urllib for the
requests a client library would refuse to send), printing what it saw as JSON.

Usage: openai_client.py BASE_URL TOKEN CHAT_MODEL EMBEDDING_MODEL
The Rust test compares the answers with Ledge's own library calls.
"""

import json
import sys
import time

import urllib.error
import urllib.request

import openai

base_url, token, chat_model, embedding_model = sys.argv[1:5]
client = openai.OpenAI(base_url=base_url, api_key=token, max_retries=0, timeout=300)
messages = [{"role": "user", "content": "What is the capital of France?"}]
seen = {}

seen["models"] = sorted(m.id for m in client.models.list().data)

completion = client.chat.completions.create(
    model=chat_model, messages=messages, max_tokens=12, temperature=0
)
seen["chat"] = {
    "content": completion.choices[0].message.content,
    "finish_reason": completion.choices[0].finish_reason,
    "usage": completion.usage.model_dump(),
}

pieces, finish, usage = [], None, None
stream = client.chat.completions.create(
    model=chat_model,
    messages=messages,
    max_tokens=12,
    temperature=0,
    stream=True,
    stream_options={"include_usage": True},
)
for chunk in stream:
    if chunk.usage is not None:
        usage = chunk.usage.model_dump()
    for choice in chunk.choices:
        if choice.delta.content:
            pieces.append(choice.delta.content)
        if choice.finish_reason:
            finish = choice.finish_reason
seen["stream"] = {"pieces": len(pieces), "content": "".join(pieces), "finish_reason": finish, "usage": usage}

# The client asks for base64 by default and decodes it; ask for floats too.
texts = ["Ledge runs on your own computer.", "Paris is the capital of France."]
default = client.embeddings.create(model=embedding_model, input=texts)
floats = client.embeddings.create(model=embedding_model, input=texts, encoding_format="float")
seen["embeddings"] = {
    "default": [list(map(float, d.embedding)) for d in default.data],
    "float": [list(map(float, d.embedding)) for d in floats.data],
}

def status_of(call):
    try:
        call()
        return 200
    except openai.APIStatusError as error:
        return error.status_code

seen["wrong_token"] = status_of(
    lambda: openai.OpenAI(base_url=base_url, api_key="wrong", max_retries=0).models.list()
)
seen["unknown_model"] = status_of(
    lambda: client.chat.completions.create(model="gpt-4o", messages=messages, max_tokens=4)
)

def raw(path, body=None, authorised=True):
    """(status, JSON body) of a request sent as is."""
    headers = {"content-type": "application/json"}
    if authorised:
        headers["authorization"] = f"Bearer {token}"
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    request = urllib.request.Request(base_url + path, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


status, body = raw("/chat/completions", b'{"model": "x", "messages": [')
seen["malformed"] = {"status": status, "body": body}
status, body = raw("/chat/completions", b"x" * (5 * 1024 * 1024))
seen["huge"] = {"status": status, "body": body}
seen["no_token"] = raw("/models", authorised=False)[0]

# Hang up after two chunks of a long answer; the server must stop generating and serve the
# next request at once.
stream = client.chat.completions.create(
    model=chat_model,
    messages=[{"role": "user", "content": "Write a long story about a lighthouse keeper."}],
    max_tokens=400,
    temperature=0,
    stream=True,
)
received = 0
for chunk in stream:
    received += 1
    if received == 3:
        break
stream.close()
started = time.monotonic()
after = client.chat.completions.create(model=chat_model, messages=messages, max_tokens=12, temperature=0)
seen["after_disconnect"] = {
    "content": after.choices[0].message.content,
    "seconds": time.monotonic() - started,
}

# Ledge's own endpoints.
status, body = raw("/ledge/search", {"query": "patent litigation terminate", "limit": 3})
seen["search"] = {"status": status, "body": body}
status, body = raw("/ledge/ask", {"question": "When do patent licenses terminate under the Apache License?"})
seen["ask"] = {"status": status, "body": body}

print(json.dumps(seen))
