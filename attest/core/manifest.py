"""The deployment manifest: the auditable record of where the contracts live and what they are.

An auditor is handed this file. Every command that touches a chain reads it, trusts logs and records
only from the addresses it names, and refuses a node whose chain id differs.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import stat
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from attest.core.canonical import sha256_hex
from attest.core.chain_family import DEFAULT_FAMILY, FAMILIES
from attest.core.errors import InputError, SchemaError
from attest.core.strictjson import load_strict

MANIFEST_SCHEMA = "esg-attest/deployment/1"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ContractDeployment(_Model):
    address: str
    transaction_hash: str
    block_number: int
    artifact_sha256: str


class ConsortiumNode(_Model):
    """One of the consortium's JSON-RPC nodes and the organisation that runs it: `verify` asks each
    for the hash of the block it proves facts against, so no one operator's node is trusted alone."""

    url: str = Field(min_length=1)
    operator: str = Field(min_length=1)


class Manifest(_Model):
    schema_: Literal["esg-attest/deployment/1"] = Field(default="esg-attest/deployment/1", alias="schema")
    network: str
    chain_id: int
    rpc_url: str | None = None
    confirmations: int = Field(default=1, ge=1)
    deployed_at: int
    compiler: dict[str, object]
    governance: ContractDeployment
    registry: ContractDeployment
    nodes: tuple[ConsortiumNode, ...] = ()  # the consortium's nodes; `rpc_url` stays the default one
    # which kind of chain (attest.core.chain_family): how its block hash is computed and which facts
    # can be proven on it; a manifest without it (written before it existed) is Ethereum-style
    family: str = DEFAULT_FAMILY

    @field_validator("family")
    @classmethod
    def _known_family(cls, value: str) -> str:
        if value not in FAMILIES:
            raise ValueError(f"unknown chain family {value!r}: one of {', '.join(FAMILIES)}")
        return value

    _file_sha256: str | None = PrivateAttr(default=None)

    @property
    def file_sha256(self) -> str | None:
        """The sha256 of the file this manifest was read from (None if it was built in memory):
        what an auditor compares with the value the consortium publishes."""
        return self._file_sha256

    def read_from(self, data: bytes) -> Manifest:
        """Record that this manifest was parsed from `data` (its sha256 becomes `file_sha256`)."""
        self._file_sha256 = sha256_hex(data)
        return self

    def dump(self) -> bytes:
        data = self.model_dump(by_alias=True)
        if not self.nodes:
            del data["nodes"]  # a manifest without a node list reads as it always did
        return (json.dumps(data, indent=2) + "\n").encode()

    def node_urls(self) -> tuple[str, ...]:
        """The nodes a verification asks by default: the listed ones, else the one `rpc_url`."""
        if self.nodes:
            return tuple(n.url for n in self.nodes)
        return (self.rpc_url,) if self.rpc_url else ()

    def operators(self) -> dict[str, str]:
        """Who runs each listed node, by URL."""
        return {n.url: n.operator for n in self.nodes}


def missing_manifest(path: Path) -> str:
    """What to do when there is no manifest at `path`: what one is, where it comes from, how to give it."""
    where = "" if path.is_absolute() else f" (relative to {Path.cwd()})"
    return (
        f"no deployment manifest here{where}; the manifest is the consortium's JSON file naming its "
        "chain and contract addresses (the consortium publishes it; `attest deploy` writes one): "
        "pass -d/--deployment FILE or set ATTEST_DEPLOYMENT"
    )


def load_manifest(path: str | Path) -> Manifest:
    """Read and validate a manifest; any problem is one InputError line naming the file."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise InputError(missing_manifest(p), path=p) from None
    except OSError as exc:
        raise InputError(f"cannot read deployment manifest: {exc.strerror}", path=p) from None
    obj = load_strict(data, path=p)
    try:
        manifest = Manifest.model_validate(obj)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        raise SchemaError(f"{err['msg']} (not a deployment manifest?)", path=p, field=loc) from None
    return manifest.read_from(data)


def check_pinned(manifest: Manifest, pinned: str | None, *, path: str | Path | None = None) -> None:
    """Refuse a manifest whose sha256 is not the value the auditor obtained from the consortium."""
    if pinned is None:
        return
    want = pinned.strip().lower().removeprefix("sha256:").removeprefix("0x")
    if len(want) != 64 or any(ch not in "0123456789abcdef" for ch in want):
        raise InputError("not a sha256 (64 hex digits)", field="--manifest-sha256")
    if manifest.file_sha256 != want:
        raise InputError(
            f"the manifest's sha256 is {manifest.file_sha256}, the pinned value is {want}: "
            "this is not the deployment manifest the consortium published",
            path=path,
            field="--manifest-sha256",
        )


def write_atomic(path: str | Path, data: bytes, *, mode: int = 0o644) -> None:
    """Write via a temporary file and rename, so a crash never leaves a half-written file.

    The temporary file has an unpredictable name and is created exclusively, never through a
    symbolic link: a link planted beside the target cannot redirect the write (or, for a
    disclosure tree written with mode 0o600, leak its salts)."""
    folder, name = os.path.split(os.fspath(path))
    tmp = os.path.join(folder, f".{name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_if_changed(path: str | Path, data: bytes) -> bool:
    """`write_atomic` unless the file already holds exactly `data`; True when it wrote.

    Re-running a batch rewrites 100,000 identical receipts: reading one back costs a fraction of
    replacing it (a rename over an existing file also frees the old inode).
    """
    try:
        st = os.stat(path)
        if stat.S_ISREG(st.st_mode) and st.st_size == len(data):  # never open a FIFO: it would block
            with open(path, "rb") as f:
                if f.read(len(data) + 1) == data:
                    return False
    except OSError:
        pass  # absent or unreadable: write it (an unreadable one fails there, with its error)
    write_atomic(path, data)
    return True
