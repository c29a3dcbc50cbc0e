"""Channels to maestro nodes: addresses, TLS and the bearer token."""
from __future__ import annotations

from typing import Iterable, Sequence

import grpc

# The stream is the worker's lease: a dead peer that resets no connection is noticed by
# keepalive pings (grpc-js servers accept them on an active call).
CHANNEL_OPTIONS = [
    ("grpc.keepalive_time_ms", 10_000),
    ("grpc.keepalive_timeout_ms", 5_000),
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
]


def parse_addresses(address: str | Iterable[str]) -> list[str]:
    """"host:port", "a:1,b:2" or a list of them -> ["a:1", "b:2"]."""
    parts = [address] if isinstance(address, str) else list(address)
    out = [a.strip() for p in parts for a in p.split(",") if a.strip()]
    if not out:
        raise ValueError("address: at least one host:port is needed")
    return out


def open_channel(address: str, tls: bool | bytes = False) -> grpc.Channel:
    """tls: False for plaintext, True for the system's CAs, or a CA certificate (PEM bytes)."""
    if tls is False:
        return grpc.insecure_channel(address, options=CHANNEL_OPTIONS)
    creds = grpc.ssl_channel_credentials(root_certificates=None if tls is True else tls)
    return grpc.secure_channel(address, creds, options=CHANNEL_OPTIONS)


def auth_metadata(token: str | None) -> Sequence[tuple[str, str]]:
    return (("authorization", f"Bearer {token}"),) if token else ()
