"""Test helpers: drawn pictures, where the shared data is. The fake Bot API is in `bot.testing`."""
