"""Answer one chat's photos in the order they were sent.

Photos are analysed concurrently, so without this a quick answer (the rate limit's
"please wait" for the sixth photo of an album) overtakes the slow answers to the
photos before it. Each photo takes a place in its chat's line on arrival, before
any `await`; its answer waits until every photo of the same chat with a smaller
message id has been answered (or `max_wait_s` has passed, so one stuck photo cannot
hold back the rest for ever).

Usage:
    async with order.place(chat_id, message_id) as my_turn:
        answer = await work()
        await my_turn()
        await message.reply_text(answer)
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable


class ReplyOrder:
    """Per-chat line of photos waiting to be answered, ordered by message id.

    Args:
        max_wait_s: The longest an answer waits for the answers before it.
    """

    def __init__(self, max_wait_s: float = 120.0) -> None:
        if max_wait_s <= 0:
            raise ValueError(f"`max_wait_s` must be > 0. Received: max_wait_s={max_wait_s}")
        self.max_wait_s = max_wait_s
        self._waiting: dict[int, dict[int, asyncio.Event]] = {}

    def pending(self, chat_id: int) -> int:
        """Photos of `chat_id` that hold a place and are not answered yet."""
        return len(self._waiting.get(chat_id, {}))

    @contextlib.asynccontextmanager
    async def place(
        self, chat_id: int, message_id: int
    ) -> AsyncIterator[Callable[[], Awaitable[None]]]:
        """Hold a place in the chat's line for the time of the block.

        Yields:
            A coroutine function that returns once the photos sent before this one
            have been answered; call it just before replying.
        """
        line = self._waiting.setdefault(chat_id, {})
        earlier = [event for other, event in line.items() if other < message_id]
        done = asyncio.Event()
        line[message_id] = done

        async def my_turn() -> None:
            if earlier:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        asyncio.gather(*(event.wait() for event in earlier)), self.max_wait_s
                    )

        try:
            yield my_turn
        finally:
            done.set()
            line.pop(message_id, None)
            if not line:
                self._waiting.pop(chat_id, None)
