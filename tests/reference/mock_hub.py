"""A local stand-in for the Hugging Face hub, for tests only: it serves model folders from
disk over the hub's real HTTP API, on 127.0.0.1.

What it speaks (what `hf-hub` and `huggingface_hub` read):
  GET  /api/models/{owner}/{name}[/revision/{rev}][?blobs=true]
       -> {"id", "sha", "siblings": [{"rfilename", "blobId", "size", "lfs": {...}}], ...}
  HEAD|GET /{owner}/{name}/resolve/{rev}/{path}
       small files: 200 (206 for a Range) with ETag = git blob id, X-Repo-Commit
       LFS files (*.safetensors, *.gguf, *.bin): 302 to /cdn/{sha256} with X-Linked-Etag =
       sha256, X-Linked-Size, X-Repo-Commit, like the hub's redirect to its CDN
  GET  /cdn/{sha256}  the bytes (on a second port: another origin, as the CDN is), with Range support (206 + Content-Range)
  Unknown repositories: 401 with X-Error-Code: RepoNotFound (what the hub answers a client
  without a token); unknown revisions: 404 with X-Error-Code: RevisionNotFound; gated
  repositories without the right token: 401/403 with X-Error-Code: GatedRepo.

Faults for tests: --drop FILE=BYTES closes the connection once after BYTES of FILE;
--corrupt FILE serves FILE with one byte changed (the checksums still promise the original).
Every request is logged as one JSON line to --log.

Usage: mock_hub.py --repo OWNER/NAME=FOLDER [--gated OWNER/NAME=FOLDER --token T] [--log F]
Prints "PORT <n>" once listening.
"""

import argparse
import hashlib
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlparse

LFS_SUFFIXES = (".safetensors", ".gguf", ".bin")


class Repo:
    def __init__(self, repo_id, folder, gated=False):
        self.id = repo_id
        self.gated = gated
        self.files = {}
        for root, _dirs, names in os.walk(folder, followlinks=True):
            for name in names:
                path = os.path.join(root, name)
                relative = os.path.relpath(path, folder).replace(os.sep, "/")
                with open(path, "rb") as handle:
                    data = handle.read()
                self.files[relative] = {
                    "data": data,
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "git": hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest(),
                    "lfs": relative.endswith(LFS_SUFFIXES),
                }
        listing = "".join(f"{k}:{v['git']}\n" for k, v in sorted(self.files.items()))
        self.sha = hashlib.sha1(listing.encode()).hexdigest()


class State:
    repos = {}
    by_sha256 = {}
    token = None
    cdn_port = None
    drop = {}
    corrupt = set()
    log = None
    lock = threading.Lock()


def served_bytes(name, entry):
    data = entry["data"]
    if name in State.corrupt and data:
        data = bytes([data[0] ^ 0xFF]) + data[1:]
    return data


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def record(self):
        if State.log:
            line = json.dumps(
                {
                    "method": self.command,
                    "path": self.path,
                    "range": self.headers.get("Range"),
                    "auth": self.headers.get("Authorization") is not None,
                }
            )
            with State.lock, open(State.log, "a") as handle:
                handle.write(line + "\n")

    def send(self, status, body=b"", headers=None, content_type="application/json"):
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error(self, status, code, message):
        body = json.dumps({"error": message}).encode()
        self.send(status, body, {"X-Error-Code": code, "X-Error-Message": message})

    def do_HEAD(self):
        self.handle_any()

    def do_GET(self):
        self.handle_any()

    def handle_any(self):
        self.record()
        url = urlparse(self.path)
        parts = [unquote(p) for p in url.path.split("/") if p]
        try:
            if parts[:2] == ["api", "models"] and len(parts) >= 4:
                return self.api_model(parts[2:], parse_qs(url.query))
            if len(parts) >= 5 and parts[2] == "resolve":
                return self.resolve(f"{parts[0]}/{parts[1]}", parts[3], "/".join(parts[4:]))
            if len(parts) == 2 and parts[0] == "cdn":
                return self.cdn(parts[1])
        except (BrokenPipeError, ConnectionResetError):
            return
        self.error(404, "EntryNotFound", "not found")

    def find_repo(self, repo_id):
        repo = State.repos.get(repo_id)
        if repo is None:
            self.error(401, "RepoNotFound", "Repository Not Found")
        return repo

    def check_revision(self, repo, revision):
        if revision in ("main", repo.sha):
            return True
        self.error(404, "RevisionNotFound", f"Invalid rev id: {revision}")
        return False

    def api_model(self, parts, query):
        repo = self.find_repo(f"{parts[0]}/{parts[1]}")
        if repo is None:
            return
        revision = parts[3] if len(parts) >= 4 and parts[2] in ("revision", "tree") else "main"
        if not self.check_revision(repo, revision):
            return
        if len(parts) >= 4 and parts[2] == "tree":
            return self.api_tree(repo, "/".join(parts[4:]), query)
        blobs = query.get("blobs", ["false"])[0].lower() == "true"
        siblings = []
        for name, entry in sorted(repo.files.items()):
            sibling = {"rfilename": name}
            if blobs:
                sibling["blobId"] = entry["git"]
                sibling["size"] = len(entry["data"])
                if entry["lfs"]:
                    sibling["lfs"] = {
                        "sha256": entry["sha256"],
                        "size": len(entry["data"]),
                        "pointerSize": 134,
                    }
            siblings.append(sibling)
        info = {
            "_id": repo.sha[:24],
            "id": repo.id,
            "modelId": repo.id,
            "author": repo.id.split("/")[0],
            "sha": repo.sha,
            "lastModified": "2026-11-24T00:00:00.000Z",
            "private": False,
            "disabled": False,
            "gated": "manual" if repo.gated else False,
            "downloads": 0,
            "likes": 0,
            "tags": [],
            "siblings": siblings,
            "createdAt": "2026-11-24T00:00:00.000Z",
        }
        self.send(200, json.dumps(info).encode())

    def api_tree(self, repo, prefix, query):
        """`/api/models/{repo}/tree/{rev}[/{path}]`: files (and folders) under a path."""
        recursive = query.get("recursive", ["false"])[0].lower() == "true"
        base = f"{prefix}/" if prefix else ""
        entries, folders = [], set()
        for name, entry in sorted(repo.files.items()):
            if not name.startswith(base):
                continue
            rest = name[len(base):]
            if "/" in rest:
                folder = base + rest.split("/")[0]
                if folder not in folders:
                    folders.add(folder)
                    entries.append({"type": "directory", "oid": repo.sha, "size": 0, "path": folder})
                if not recursive:
                    continue
            item = {"type": "file", "oid": entry["git"], "size": len(entry["data"]), "path": name}
            if entry["lfs"]:
                item["lfs"] = {"oid": entry["sha256"], "size": len(entry["data"]), "pointerSize": 134}
            entries.append(item)
        self.send(200, json.dumps(entries).encode())

    def resolve(self, repo_id, revision, name):
        repo = self.find_repo(repo_id)
        if repo is None or not self.check_revision(repo, revision):
            return
        if repo.gated:
            auth = self.headers.get("Authorization")
            if auth is None:
                return self.error(401, "GatedRepo", "Access to this model is restricted")
            if auth != f"Bearer {State.token}":
                return self.error(403, "GatedRepo", "Access to this model is restricted")
        entry = repo.files.get(name)
        if entry is None:
            return self.error(404, "EntryNotFound", f"{name} does not exist")
        headers = {"X-Repo-Commit": repo.sha, "Accept-Ranges": "bytes"}
        if entry["lfs"]:
            # Another origin, like the hub's CDN: clients must not follow it for metadata.
            headers.update(
                {
                    "Location": f"http://127.0.0.1:{State.cdn_port}/cdn/{entry['sha256']}",
                    "X-Linked-Etag": f'"{entry["sha256"]}"',
                    "X-Linked-Size": str(len(entry["data"])),
                    "ETag": f'"{entry["git"]}"',
                }
            )
            return self.send(302, b"", headers, "text/plain")
        headers["ETag"] = f'"{entry["git"]}"'
        self.send_range(served_bytes(name, entry), headers, name)

    def cdn(self, sha256):
        found = State.by_sha256.get(sha256)
        if found is None:
            return self.error(404, "EntryNotFound", "no such object")
        name, entry = found
        self.send_range(served_bytes(name, entry), {"ETag": f'"{sha256}"'}, name)

    def send_range(self, data, headers, name):
        total = len(data)
        start, end, status = 0, total - 1, 200
        wanted = self.headers.get("Range")
        if wanted and wanted.startswith("bytes="):
            first, _, last = wanted[len("bytes="):].partition("-")
            start = int(first) if first else 0
            end = min(int(last), total - 1) if last else total - 1
            if start >= total:
                headers["Content-Range"] = f"bytes */{total}"
                return self.send(416, b"", headers, "application/octet-stream")
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{total}"
        body = data[start : end + 1]
        drop_at = State.drop.get(name)
        if drop_at is not None and self.command == "GET" and start < drop_at <= end:
            # Once: promise the whole body, send part of it, hang up.
            with State.lock:
                State.drop.pop(name, None)
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: max(0, drop_at - start)])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.send(status, body, headers, "application/octet-stream")


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client hanging up (ours, after a fault it was sent) is no error of the server's.
        if not isinstance(sys.exc_info()[1], (ConnectionError, BrokenPipeError)):
            super().handle_error(request, client_address)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repo", action="append", default=[])
    parser.add_argument("--gated", action="append", default=[])
    parser.add_argument("--token")
    parser.add_argument("--drop", action="append", default=[])
    parser.add_argument("--corrupt", action="append", default=[])
    parser.add_argument("--log")
    args = parser.parse_args()
    for spec, gated in [(s, False) for s in args.repo] + [(s, True) for s in args.gated]:
        repo_id, _, folder = spec.partition("=")
        repo = Repo(repo_id, folder, gated)
        State.repos[repo_id] = repo
        for name, entry in repo.files.items():
            State.by_sha256[entry["sha256"]] = (name, entry)
    State.token = args.token
    State.drop = {k: int(v) for k, _, v in (s.partition("=") for s in args.drop)}
    State.corrupt = set(args.corrupt)
    State.log = args.log
    server = Server(("127.0.0.1", 0), Handler)
    cdn = Server(("127.0.0.1", 0), Handler)
    State.cdn_port = cdn.server_address[1]
    threading.Thread(target=cdn.serve_forever, daemon=True).start()
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
