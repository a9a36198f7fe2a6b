"""A fake Telegram Bot API server on 127.0.0.1 that records every request.

It runs Tornado on its own event loop in a thread, like a remote server, and
speaks the Bot API's HTTP protocol (form, multipart or JSON bodies; `{"ok": ...}`
answers), so the real `Application` talks to it through `base_url`.

Usage:
    api = FakeBotApi(token).start()
    api.send_message(user_id=7, text="/help")
    calls = await api.wait_for("sendMessage", count=1)
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import threading
import time
from typing import Any

import tornado.httputil
import tornado.web

from bot.testing import updates

BOT_USER = {"id": 4242, "is_bot": True, "first_name": "MelNev", "username": "melnev_test_bot"}
TRUE_METHODS = frozenset(
    {"deleteWebhook", "setMyCommands", "sendChatAction", "answerCallbackQuery", "close"}
)


@dataclasses.dataclass
class Call:
    """One recorded request: Bot API method, parameters, uploaded file sizes, time."""

    method: str
    params: dict[str, Any]
    files: dict[str, int]
    at: float


class FakeBotApi:
    """In-process fake of api.telegram.org; see the module docstring."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.files: dict[str, tuple[str, bytes]] = {}
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.fail_methods: dict[str, tuple[int, str]] = {}
        self._updates: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._next_id = 1
        self._loop: asyncio.AbstractEventLoop | None = None
        self._new_update: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="fake-bot-api", daemon=True)
        self.port = 0

    # --- lifecycle -----------------------------------------------------------------
    @property
    def url(self) -> str:
        """Server root, to use as the bot's `base_url`."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeBotApi:
        """Start serving in a background thread and return self."""
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fake Bot API did not start")
        return self

    def stop(self) -> None:
        """Stop the server thread."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def _serve(self) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        self._new_update = asyncio.Event()
        app = tornado.web.Application(
            [
                (r"/bot([^/]+)/(\w+)", _MethodHandler, {"api": self}),
                (r"/file/bot([^/]+)/(.+)", _FileHandler, {"api": self}),
            ],
            log_function=lambda handler: None,  # its access log would print the token
        )
        server = app.listen(0, address="127.0.0.1", max_body_size=64 << 20)
        self.port = next(iter(server._sockets.values())).getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.stop()
        self._loop.close()

    # --- feeding updates -----------------------------------------------------------
    def next_id(self) -> int:
        """A fresh id for updates, messages and files."""
        with self._lock:
            self._next_id += 1
            return self._next_id

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue one update for getUpdates and return it."""
        update = {"update_id": self.next_id(), **update}
        message = update.get("message")
        with self._lock:
            self._updates.append(update)
            if message:
                self.messages[(message["chat"]["id"], message["message_id"])] = message
        if self._loop is not None and self._new_update is not None:
            self._loop.call_soon_threadsafe(self._new_update.set)
        return update

    def add_file(self, data: bytes, suffix: str = ".jpg") -> str:
        """Store bytes as a Telegram file and return its file_id."""
        number = self.next_id()
        file_id = f"file-{number}"
        self.files[file_id] = (f"documents/file_{number}{suffix}", data)
        return file_id

    def send_message(self, user_id: int, **kwargs: Any) -> dict[str, Any]:
        """Push a message from `user_id`; keyword arguments as in `updates.message`."""
        message = updates.message(self, user_id, **kwargs)
        return self.push({"message": message})["message"]

    def press_button(self, user_id: int, bot_message: dict[str, Any], data: str) -> None:
        """Push a callback query for an inline button under `bot_message`."""
        self.push({"callback_query": updates.callback_query(self, user_id, bot_message, data)})

    # --- reading what the bot did --------------------------------------------------
    def calls_of(self, method: str, chat_id: int | None = None) -> list[Call]:
        """Recorded calls of `method` (to `chat_id` when given)."""
        with self._lock:
            found = [call for call in self.calls if call.method == method]
        if chat_id is not None:
            found = [call for call in found if int(call.params.get("chat_id", 0)) == chat_id]
        return found

    async def wait_for(
        self, method: str, count: int = 1, chat_id: int | None = None, timeout: float = 30.0
    ) -> list[Call]:
        """Wait until `method` was called `count` times (to `chat_id`); return those calls."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.calls_of(method, chat_id)
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                seen = [call.method for call in self.calls]
                raise AssertionError(f"{method} x{count} not seen within {timeout}s; saw {seen}")
            await asyncio.sleep(0.01)

    # --- answering -----------------------------------------------------------------
    def record(self, method: str, params: dict[str, Any], files: dict[str, int]) -> None:
        with self._lock:
            self.calls.append(Call(method, params, files, time.monotonic()))

    async def answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if method in self.fail_methods:
            code, description = self.fail_methods[method]
            return code, {"ok": False, "error_code": code, "description": description}
        if method == "getMe":
            return 200, {"ok": True, "result": BOT_USER}
        if method == "getUpdates":
            return 200, {"ok": True, "result": await self._get_updates(params)}
        if method in TRUE_METHODS:
            return 200, {"ok": True, "result": True}
        if method == "getFile":
            return self._get_file(params)
        if method in {"sendMessage", "sendPhoto", "editMessageText"}:
            return 200, {"ok": True, "result": updates.bot_message(self, method, params)}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 1.0)
        assert self._new_update is not None
        while True:
            with self._lock:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                pending = list(self._updates)
                self._new_update.clear()
            if pending or time.monotonic() >= deadline:
                return pending
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), deadline - time.monotonic())

    def _get_file(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        file_id = str(params.get("file_id"))
        if file_id not in self.files:
            return 400, {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: wrong file_id",
            }
        path, data = self.files[file_id]
        result = {"file_id": file_id, "file_unique_id": "u" + file_id, "file_size": len(data)}
        return 200, {"ok": True, "result": {**result, "file_path": path}}


class _MethodHandler(tornado.web.RequestHandler):
    def initialize(self, api: FakeBotApi) -> None:
        self.api = api

    async def post(self, token: str, method: str) -> None:
        if token != self.api.token:
            self.set_status(401)
            self.finish({"ok": False, "error_code": 401, "description": "Unauthorized"})
            return
        params, files = _parse(self.request)
        self.api.record(method, params, files)
        status, body = await self.api.answer(method, params)
        self.set_status(status)
        self.finish(body)

    get = post


class _FileHandler(tornado.web.RequestHandler):
    def initialize(self, api: FakeBotApi) -> None:
        self.api = api

    def get(self, token: str, path: str) -> None:
        matches = [data for stored, data in self.api.files.values() if stored == path]
        self.api.record("downloadFile", {"file_path": path}, {})
        if token != self.api.token or not matches:
            self.set_status(404)
            self.finish()
            return
        self.finish(matches[0])


def _parse(request: tornado.httputil.HTTPServerRequest) -> tuple[dict[str, Any], dict[str, int]]:
    content_type = request.headers.get("Content-Type", "")
    if content_type.startswith("application/json") and request.body:
        return json.loads(request.body), {}
    arguments: dict[str, list[bytes]] = {}
    files: dict[str, list[tornado.httputil.HTTPFile]] = {}
    tornado.httputil.parse_body_arguments(content_type, request.body, arguments, files)
    params: dict[str, Any] = {}
    for name, values in {**request.query_arguments, **arguments}.items():
        raw = values[-1].decode()
        try:
            params[name] = json.loads(raw)
        except ValueError:
            params[name] = raw
    sizes = {name: len(items[0].body) for name, items in files.items()}
    for name, items in files.items():
        params.setdefault(name, f"attach://{name}")
        params[f"_bytes_{name}"] = items[0].body
    return params, sizes
