"""Downloads a model with the official `huggingface_hub` client, for tests that check Ledge's
download path and the local mock hub (`mock_hub.py`) against the real thing.

Usage: HF_ENDPOINT=http://127.0.0.1:PORT HF_HOME=DIR hf_snapshot.py REPO_ID [PATTERN...]
Prints JSON: {"path": snapshot folder, "files": {relative path: sha256}}.
"""

import hashlib
import json
import os
import sys

from huggingface_hub import snapshot_download


def main():
    repo_id, patterns = sys.argv[1], sys.argv[2:] or None
    path = snapshot_download(repo_id=repo_id, allow_patterns=patterns)
    files = {}
    for root, _dirs, names in os.walk(path):
        for name in names:
            full = os.path.join(root, name)
            with open(full, "rb") as handle:
                files[os.path.relpath(full, path)] = hashlib.sha256(handle.read()).hexdigest()
    print(json.dumps({"path": path, "files": files}))


if __name__ == "__main__":
    main()
