"""Factories of Bot API JSON objects (updates from users, messages from the bot).

They build the same JSON Telegram sends, so the real `Application` parses real
`Update` objects from it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.testing.fake_api import FakeBotApi


def user(user_id: int, language_code: str | None = "en") -> dict[str, Any]:
    """A Telegram user; `first_name` is deliberately identifiable to catch leaks in logs."""
    found: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": f"Alice{user_id}"}
    if language_code is not None:
        found["language_code"] = language_code
    return found


def private_chat(user_id: int) -> dict[str, Any]:
    """The private chat of a user with the bot (chat id == user id)."""
    return {"id": user_id, "type": "private", "first_name": f"Alice{user_id}"}


def message(
    api: FakeBotApi,
    user_id: int,
    *,
    text: str | None = None,
    photo: bytes | None = None,
    document: bytes | None = None,
    mime_type: str = "image/jpeg",
    file_name: str = "photo.jpg",
    reported_size: int | None = None,
    kind: str | None = None,
    language_code: str | None = "en",
    media_group_id: str | None = None,
) -> dict[str, Any]:
    """A message from `user_id`: text, a photo, a document, or `kind` (sticker, voice, video).

    Photo and document bytes are stored on the fake server; `reported_size`
    overrides the `file_size` Telegram reports (for the 20 MB limit);
    `media_group_id` makes the message one photo of an album.
    """
    found: dict[str, Any] = {
        "message_id": api.next_id(),
        "date": int(time.time()),
        "chat": private_chat(user_id),
        "from": user(user_id, language_code),
    }
    if media_group_id is not None:
        found["media_group_id"] = media_group_id
    if text is not None:
        found["text"] = text
        if text.startswith("/"):
            command = text.split()[0]
            found["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    if photo is not None:
        file_id = api.add_file(photo, ".jpg")
        size = reported_size if reported_size is not None else len(photo)
        found["photo"] = [
            {
                "file_id": file_id + "-thumb",
                "file_unique_id": "t" + file_id,
                "width": 90,
                "height": 90,
                "file_size": 1000,
            },
            {
                "file_id": file_id,
                "file_unique_id": "u" + file_id,
                "width": 1280,
                "height": 1280,
                "file_size": size,
            },
        ]
    if document is not None:
        suffix = "." + file_name.rsplit(".", 1)[-1]
        file_id = api.add_file(document, suffix)
        size = reported_size if reported_size is not None else len(document)
        found["document"] = {
            "file_id": file_id,
            "file_unique_id": "u" + file_id,
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": size,
        }
    if kind == "sticker":
        found["sticker"] = {
            "file_id": "sticker-1",
            "file_unique_id": "s1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
    elif kind == "voice":
        found["voice"] = {"file_id": "voice-1", "file_unique_id": "v1", "duration": 3}
    elif kind == "video":
        found["video"] = {
            "file_id": "video-1",
            "file_unique_id": "vd1",
            "width": 640,
            "height": 480,
            "duration": 3,
        }
    return found


def callback_query(
    api: FakeBotApi, user_id: int, bot_message: dict[str, Any], data: str
) -> dict[str, Any]:
    """A press on an inline button of `bot_message`."""
    return {
        "id": str(api.next_id()),
        "from": user(user_id, bot_message.get("_language", "en")),
        "chat_instance": f"ci-{user_id}",
        "message": {key: value for key, value in bot_message.items() if not key.startswith("_")},
        "data": data,
    }


def bot_message(api: FakeBotApi, method: str, params: dict[str, Any]) -> dict[str, Any]:
    """The Message the Bot API returns for sendMessage / sendPhoto / editMessageText."""
    from bot.testing.fake_api import BOT_USER

    chat_id = int(params["chat_id"])
    found: dict[str, Any] = {
        "message_id": int(params.get("message_id") or api.next_id()),
        "date": int(time.time()),
        "chat": private_chat(chat_id),
        "from": BOT_USER,
    }
    if method == "sendPhoto":
        found["photo"] = [
            {
                "file_id": f"sent-{found['message_id']}",
                "file_unique_id": "x",
                "width": 512,
                "height": 512,
            }
        ]
        if "caption" in params:
            found["caption"] = params["caption"]
    else:
        found["text"] = str(params.get("text", ""))
    if isinstance(params.get("reply_markup"), dict):
        found["reply_markup"] = params["reply_markup"]
    reply = params.get("reply_parameters")
    if isinstance(reply, dict):
        original = api.messages.get((chat_id, int(reply["message_id"])))
        if original is not None:
            found["reply_to_message"] = original
    return found


def sent_message(api: FakeBotApi, params: dict[str, Any], *, reply_to: bool) -> dict[str, Any]:
    """The Message a recorded sendMessage created, with or without its reply reference.

    Pressing a button under an answer needs that answer as Telegram would return it;
    `reply_to=False` drops the reference, as when the user deleted their photo.
    """
    if not reply_to:
        params = {key: value for key, value in params.items() if key != "reply_parameters"}
    return bot_message(api, "sendMessage", params)
