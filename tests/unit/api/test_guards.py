"""The request guard at the ASGI level, with no server in between: it reads a body incrementally and
stops at the limit, whatever Content-Length says, and never hands a truncated body on as whole."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated, Any

import orjson
from fastapi import FastAPI, File, UploadFile
from pydantic import BaseModel

from bayfin.api.guards import JSON, UPLOAD, RequestGuardMiddleware
from bayfin.api.problems import install_problem_handlers


class Note(BaseModel):
    text: str


def _app() -> tuple[Any, list[str]]:
    seen: list[str] = []
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/notes")
    def add_note(note: Note) -> dict[str, int]:
        seen.append(note.text)
        return {"length": len(note.text)}

    @app.post("/upload")
    async def upload(file: Annotated[UploadFile, File()]) -> dict[str, int]:
        data = await file.read()
        seen.append(f"upload:{len(data)}")
        return {"size": len(data)}

    return RequestGuardMiddleware(app), seen


def _call(app: Any, path: str, chunks: list[bytes] | None, headers: dict[str, str],
          endless: bytes | None = None) -> tuple[int, dict[str, Any], int]:
    """Drive one request; returns the status, the JSON body and how many body bytes were read."""
    read = 0
    queue = list(chunks or [])
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal read
        if endless is not None and not queue:
            read += len(endless)
            return {"type": "http.request", "body": endless, "more_body": True}
        if queue:
            chunk = queue.pop(0)
            read += len(chunk)
            return {"type": "http.request", "body": chunk,
                    "more_body": bool(queue) or endless is not None}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "scheme": "http", "http_version": "1.1",
             "server": ("test", 80), "client": ("127.0.0.1", 1),
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], orjson.loads(body) if body else {}, read


def test_an_endless_body_is_read_only_up_to_the_limit_and_answered_413():
    app, seen = _app()
    chunk = b" " * 65536
    status, body, read = _call(app, "/notes", None, {"content-type": "application/json"}, endless=chunk)
    assert status == 413 and body["code"] == "payload_too_large"
    assert JSON.limit < read <= JSON.limit + len(chunk)
    assert seen == []


def test_a_small_content_length_does_not_let_a_large_body_through():
    app, seen = _app()
    chunks = [b'{"text": "', b"a" * (JSON.limit + 10), b'"}']
    status, _, _ = _call(app, "/notes", chunks, {"content-type": "application/json",
                                                 "content-length": "20"})
    assert status == 413 and seen == []


def test_a_declared_content_length_past_the_limit_is_refused_before_reading():
    app, seen = _app()
    status, _, read = _call(app, "/notes", [b"{}"], {"content-type": "application/json",
                                                     "content-length": str(JSON.limit + 1)})
    assert status == 413 and read == 0 and seen == []


def test_a_body_within_the_limit_reaches_the_route_whole():
    app, seen = _app()
    chunks = [b'{"text": "', b"b" * 1000, b'"}']
    status, body, _ = _call(app, "/notes", chunks, {"content-type": "application/json"})
    assert status == 200 and body == {"length": 1000} and seen == ["b" * 1000]


def test_a_client_that_leaves_mid_body_never_reaches_the_route():
    app, seen = _app()
    # the first chunk parses on its own; the client promised more and then left
    messages = [{"type": "http.request", "body": b'{"text": "half"}', "more_body": True},
                {"type": "http.disconnect"}]

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        pass

    scope = {"type": "http", "method": "POST", "path": "/notes", "raw_path": b"/notes",
             "query_string": b"", "root_path": "", "scheme": "http", "http_version": "1.1",
             "server": ("test", 80), "client": ("127.0.0.1", 1),
             "headers": [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")]}
    with contextlib.suppress(Exception):  # a disconnect may surface as an error
        asyncio.run(app(scope, receive, send))
    assert seen == []


def test_uploads_stream_past_the_json_limit_but_stop_at_their_own():
    app, _ = _app()
    boundary = "XyZ"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    headers = {"content-type": f"multipart/form-data; boundary={boundary}"}
    payload = b"x" * (2 * JSON.limit)
    status, body, _ = _call(app, "/upload", [head, payload, tail], headers)
    assert status == 200 and body == {"size": len(payload)}
    status, body, read = _call(app, "/upload", [head], headers, endless=b"y" * 1_048_576)
    assert status == 413 and read <= UPLOAD.limit + 2 * 1_048_576


def test_a_nul_in_the_path_or_query_is_refused_before_routing():
    app, seen = _app()
    status, body, _ = _call(app, "/notes%00", [b"{}"], {"content-type": "application/json"})
    assert status == 422 and "NUL" in body["detail"] and seen == []
