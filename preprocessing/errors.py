"""Typed errors raised while turning user bytes into an image."""

from __future__ import annotations

import enum


class InvalidImageReason(enum.StrEnum):
    """Why a payload could not be used as an image (stable codes the bot translates)."""

    EMPTY = "empty"
    NOT_AN_IMAGE = "not_an_image"
    UNSUPPORTED_FORMAT = "unsupported_format"
    TRUNCATED = "truncated"
    TOO_LARGE = "too_large"
    TOO_SMALL = "too_small"


class InvalidImageError(ValueError):
    """Raised when bytes cannot be decoded into a usable RGB image.

    Attributes:
        reason: A stable machine-readable code, see `InvalidImageReason`.
    """

    def __init__(self, reason: InvalidImageReason, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value)
