"""Telegram handlers, one module per feature (commands, photos, everything else)."""
