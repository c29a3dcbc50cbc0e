"""Errors the SDK raises."""
from __future__ import annotations

from typing import Any

import grpc


class MaestroError(Exception):
    """A call the server refused or that could not reach it.

    code: the gRPC status code name ("INVALID_ARGUMENT", "NOT_FOUND", "FAILED_PRECONDITION",
    "UNAVAILABLE", ...); field: the offending field's path for INVALID_ARGUMENT (the
    `maestro-field` trailer); retryable: the server's `maestro-retryable` trailer (None when absent).
    """

    def __init__(self, code: str, message: str, field: str | None = None, retryable: bool | None = None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.field = field
        self.retryable = retryable

    @classmethod
    def from_rpc(cls, err: grpc.RpcError) -> "MaestroError":
        code = err.code() if hasattr(err, "code") else None
        details = err.details() if hasattr(err, "details") else str(err)
        trailers: dict[str, Any] = {}
        try:
            for k, v in (err.trailing_metadata() or ()):  # type: ignore[attr-defined]
                trailers[k] = v
        except Exception:  # noqa: BLE001 - some errors (channel closed) carry no trailers
            pass
        retry = trailers.get("maestro-retryable")
        return cls(
            code.name if code is not None else "UNKNOWN",
            details or "",
            field=trailers.get("maestro-field"),
            retryable=None if retry is None else retry == "true",
        )


class FatalError(Exception):
    """Raised by a worker's handler: the step fails FATALLY_FAILED (never retried)."""


class PlatformError(Exception):
    """Raised by a worker's handler: the step fails PLATFORM_FAILED (retried per the platform
    retry policy, not the step's)."""
