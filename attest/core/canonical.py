"""Canonical bytes and digests: one document, one sequence of bytes, one sha256.

Structured documents are hashed in their RFC 8785 (JCS) form so that key order and whitespace do
not change the digest, and so that anyone can reproduce it with `sha256sum` over the canonical file
the tool writes. Digests are lowercase 64-character hex with no `0x` or `sha256:` prefix.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import rfc8785

from attest.core.errors import InputError


def canonical_bytes(obj: Any, *, path: str | Path | None = None) -> bytes:
    """RFC 8785 serialisation of a JSON value; values JCS cannot represent are input errors.

    Integers beyond +/-(2**53 - 1), NaN/Infinity, unpaired surrogates and non-JSON types cannot
    be canonicalised without losing meaning, so they are refused rather than approximated.
    """
    try:
        return rfc8785.dumps(obj)
    except rfc8785.IntegerDomainError:
        raise InputError(
            "cannot canonicalise: an integer is outside +/-(2**53 - 1); write it as a decimal string",
            path=path,
        ) from None
    except rfc8785.CanonicalizationError as e:
        raise InputError(f"cannot canonicalise: {e}", path=path) from None
    except UnicodeError:  # rfc8785 sorts keys by UTF-16; an unpaired surrogate fails there
        raise InputError("cannot canonicalise: text contains an unpaired surrogate", path=path) from None
    except RecursionError:
        raise InputError("cannot canonicalise: value is nested too deeply", path=path) from None


def sha256_hex(data: bytes) -> str:
    """Lowercase hex sha256 of bytes, the digest form used everywhere (receipts, chain, CLI)."""
    return hashlib.sha256(data).hexdigest()


_SMALL = 1 << 16


def file_sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    """sha256 of a file's raw bytes, read in chunks so a large PDF never sits in memory whole."""
    return file_sha256_and_head(path, chunk)[0]


def file_sha256_and_head(path: str | Path, chunk: int = 1 << 20) -> tuple[str, bytes]:
    """`file_sha256` and the file's first bytes (up to 64 KiB), from one read: enough to tell a
    JSON document from a PDF without opening the file twice."""
    if chunk <= 0:
        raise ValueError("chunk must be positive")
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            head = f.read(_SMALL)  # most evidence files are small: no big buffer for them
            digest.update(head)
            if len(head) == _SMALL:
                buffer = bytearray(chunk)
                view = memoryview(buffer)
                while n := f.readinto(buffer):
                    digest.update(view[:n])
    except OSError as e:
        raise InputError(f"cannot read file: {e.strerror or e}", path=path) from None
    return digest.hexdigest(), head
