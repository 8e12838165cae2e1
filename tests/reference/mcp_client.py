"""Drive Ledge's MCP server with the official MCP Python SDK (`mcp` on PyPI), as a desktop
client would, and print what it saw as one JSON object for the Rust test to check.

    mcp_client.py stdio LEDGE_BINARY LEDGE_HOME QUESTION QUERY FILE
    mcp_client.py http URL TOKEN QUESTION QUERY FILE

Over stdio the SDK launches `LEDGE_BINARY mcp` itself, with LEDGE_HOME in its environment.
Over HTTP it connects to `ledge serve`'s /mcp with the bearer token (and once with a wrong
one, and once with none).
"""

import asyncio
import json
import sys
import urllib.error
import urllib.request

import anyio
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client


def text_of(result):
    return "".join(block.text for block in result.content if getattr(block, "type", "") == "text")


def outcome(result):
    return {
        "is_error": bool(result.is_error),
        "text": text_of(result),
        "structured": result.structured_content,
    }


async def refused(client, name, arguments):
    """A call the server must refuse: as a protocol error or an error result."""
    try:
        result = await client.call_tool(name, arguments)
    except Exception as error:  # the SDK raises McpError for a JSON-RPC error
        return {"refused": True, "how": "protocol", "message": str(error)}
    return {"refused": bool(result.is_error), "how": "result", "message": text_of(result)}


async def session(client, question, query, file):
    seen = {}
    tools = await client.list_tools()
    seen["tools"] = sorted(tool.name for tool in tools.tools)
    seen["schemas"] = {tool.name: tool.input_schema for tool in tools.tools}
    seen["instructions"] = client.instructions
    seen["folders"] = outcome(await client.call_tool("list_folders", {}))
    seen["search"] = outcome(await client.call_tool("search", {"query": query, "limit": 3}))
    seen["read"] = outcome(
        await client.call_tool("read", {"path": file, "start_line": 1, "end_line": 5})
    )
    progress = []

    async def on_progress(step, total, message):
        progress.append({"step": step, "total": total, "message": message})

    seen["ask"] = outcome(
        await client.call_tool("ask", {"question": question}, progress_callback=on_progress)
    )
    seen["ask_progress"] = progress
    conversation = (seen["ask"]["structured"] or {}).get("conversation")
    seen["follow_up"] = outcome(
        await client.call_tool(
            "ask",
            {"question": "Does the Mozilla Public License end them too?", "conversation": conversation},
        )
    )
    seen["bad"] = {
        "unknown_tool": await refused(client, "delete_everything", {}),
        "wrong_type": await refused(client, "search", {"query": query, "limit": "three"}),
        "missing_argument": await refused(client, "ask", {}),
        "huge_question": await refused(client, "ask", {"question": "why " * 12_500}),
        "limit_out_of_range": await refused(client, "search", {"query": query, "limit": 5000}),
        "not_indexed": await refused(client, "read", {"path": "/etc/passwd"}),
        "not_indexed_in_ask": await refused(
            client, "ask", {"question": question, "files": ["/etc/passwd"]}
        ),
        "line_past_end": await refused(client, "read", {"path": file, "start_line": 999999}),
    }
    return seen


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "raw", "version": "1"},
    },
}


def raw_status(url, headers):
    """The HTTP status of a bare initialize request, as a script or a web page would send it."""
    request = urllib.request.Request(
        url,
        data=json.dumps(INITIALIZE).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
            **headers,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


async def disconnect_mid_answer(connect, question):
    """Starts an answer and drops the connection while it is being written.

    The question is one the server has not seen (the session asked the plain one, whose
    prompt it may reuse from its cache) and asks for a long answer, and the client leaves
    after 0.3 s: reading a new prompt alone takes the test model longer than that. (With
    the plain question and 1.5 s, a fast machine had answered before the client left.)
    """
    try:
        async with connect() as client:
            with anyio.move_on_after(0.3):
                await client.call_tool(
                    "ask", {"question": f"{question} Explain each condition in detail."}
                )
                return "answered before the client left"
    except Exception as error:
        return f"left with {type(error).__name__}"
    return "left mid-answer"


async def main():
    mode = sys.argv[1]
    if mode == "stdio":
        binary, home, question, query, file = sys.argv[2:7]
        params = StdioServerParameters(
            command=binary, args=["mcp"], env={"LEDGE_HOME": home, "PATH": "/usr/bin:/bin"}
        )

        def connect():
            return Client(params, read_timeout_seconds=300)

        async with connect() as client:
            seen = await session(client, question, query, file)
            seen["server_name"] = client.server_info.name if client.server_info else None
        print(json.dumps(seen))
        return

    url, token, question, query, file = sys.argv[2:7]

    def connect(with_token=token):
        headers = {"Authorization": f"Bearer {with_token}"} if with_token else {}
        transport = streamable_http_client(url, http_client=create_mcp_http_client(headers=headers))
        return Client(transport, read_timeout_seconds=300)

    async with connect() as client:
        seen = await session(client, question, query, file)
        seen["server_name"] = client.server_info.name if client.server_info else None
    for label, wrong in [("wrong_token", "not-the-token"), ("no_token", None)]:
        try:
            async with connect(wrong) as client:
                await client.list_tools()
                seen[label] = "accepted"
        except BaseException as error:  # an ExceptionGroup from the SDK's task group
            seen[label] = f"refused: {type(error).__name__}: {error}"
    seen["raw_wrong_token_status"] = raw_status(url, {"Authorization": "Bearer not-the-token"})
    # A web page in a browser on this machine, even one holding the token, is turned away.
    seen["raw_origin_status"] = raw_status(
        url, {"Authorization": f"Bearer {token}", "Origin": "http://evil.example"}
    )
    seen["disconnect"] = await disconnect_mid_answer(connect, question)
    # The server goes on serving after a client left mid-answer.
    async with connect() as client:
        seen["after_disconnect"] = outcome(
            await client.call_tool("search", {"query": query, "limit": 1})
        )
    print(json.dumps(seen))


if __name__ == "__main__":
    asyncio.run(main())
