"""The publishing receipt: a self-describing record written next to every published document.

It carries everything an auditor needs to find and check the attestation without the bank: the
digest and how it was computed, the attestation's fields, and the chain coordinates. Nothing in it
is trusted by `verify`: every claim is re-read from the chain and compared. Where a receipt is
written (`receipt_path`) is decided with the other side-file names in attest.core.sidefiles.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from attest.core.errors import InputError, SchemaError
from attest.core.sidefiles import receipt_path as receipt_path  # where a receipt goes: part of its API
from attest.core.strictjson import load_strict

RECEIPT_SCHEMA = "esg-attest/receipt/1"
#: a receipt that also carries its block's header and the storage proofs of its attestation
PROVEN_RECEIPT_SCHEMA = "esg-attest/receipt/2"
RECEIPT_SCHEMAS = (RECEIPT_SCHEMA, PROVEN_RECEIPT_SCHEMA)


Hex32 = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{64}$")]
Address = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class DocumentPart(_Model):
    name: str
    media_type: str
    digest: str = Field(pattern=r"^[0-9a-f]{64}$")
    digest_rule: Literal["sha256-raw", "sha256-rfc8785"]


class AttestationPart(_Model):
    uid: Hex32
    org_id: int = Field(ge=0, lt=2**32)  # the registry's uint32
    attester: Address
    kind: str
    year: int = Field(ge=0, lt=2**16)  # uint16
    ref: Hex32
    uri: str


class ChainPart(_Model):
    chain_id: int
    registry: Address
    transaction_hash: Hex32
    block_number: int = Field(ge=0)
    block_hash: Hex32
    timestamp: int


class MerklePart(_Model):
    format: Literal["openzeppelin-standard-merkle-tree/1"] = "openzeppelin-standard-merkle-tree/1"
    root: Hex32
    leaf_encoding: list[str]
    value: list[str]
    proof: list[Hex32]


class ProofPart(_Model):
    """What lets a receipt verify offline against a checkpoint of its block: the block's header (RLP)
    and the node's eth_getProof answers at that block — the registry's account with the
    attestation's record slot, the governance's account with the organisation's name slots. All of
    it is checked on reading (attest.app.offline); none of it is believed because it is here."""

    format: Literal["eip-1186/1"] = "eip-1186/1"
    header: str = Field(pattern=r"^0x[0-9a-f]+$")
    registry: dict[str, Any]
    governance: dict[str, Any]


class Receipt(_Model):
    schema_: Literal["esg-attest/receipt/1", "esg-attest/receipt/2"] = Field(
        default="esg-attest/receipt/1", alias="schema"
    )
    document: DocumentPart
    attestation: AttestationPart
    chain: ChainPart
    merkle: MerklePart | None = None
    proof: ProofPart | None = None  # receipt/2

    def with_proof(self, proof: ProofPart) -> Receipt:
        """This receipt as receipt/2, carrying `proof`."""
        return self.model_copy(update={"schema_": PROVEN_RECEIPT_SCHEMA, "proof": proof})

    def dump(self) -> bytes:
        # pydantic-core's serialiser: fast enough to write 100,000 batch receipts in a few seconds.
        return self.model_dump_json(by_alias=True, exclude_none=True, indent=2).encode() + b"\n"


def lookup_digest(receipt: Receipt | None, digest: str) -> str:
    """The digest the registry is asked about for a target: a batch receipt's Merkle root (what was
    anchored), else the target's own digest; hex, lower case, no 0x. The one rule every path uses."""
    if receipt is not None and receipt.merkle is not None:
        return receipt.merkle.root.removeprefix("0x").lower()
    return digest.removeprefix("0x").lower()


def is_receipt(obj: object) -> bool:
    return isinstance(obj, dict) and obj.get("schema") in RECEIPT_SCHEMAS


def parse_receipt(obj: object, *, path: str | Path | None = None) -> Receipt:
    try:
        return Receipt.model_validate(obj)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        raise SchemaError(err["msg"], path=path, field=loc) from None


def load_receipt(path: str | Path) -> Receipt:
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read receipt: {exc.strerror}", path=p) from None
    return parse_receipt(load_strict(data, path=p), path=p)


def receipt_of_another(path: str | Path, name: str) -> str | None:
    """The document name an existing receipt at `path` records, when it is not `name`; None when it
    is `name` or there is no readable receipt there. `x` and `x.json` share the receipt name
    `x.receipt.json`, so a writer asks this before replacing a receipt: it must never overwrite the
    receipt of another document."""
    if not os.path.isfile(path):  # never open a FIFO or device: it could block
        return None
    try:
        with open(path, "rb") as f:
            data = f.read(1 << 16)  # a receipt is a few KiB; asking for 1 MiB allocates 1 MiB
            if len(data) == 1 << 16:
                data += f.read(1 << 20)
    except OSError:
        return None
    # what `Receipt.dump` writes: a re-run over 100,000 receipts answers here, without parsing each
    if _DUMPED_NAME + json.dumps(name, ensure_ascii=False).encode() in data[:4096]:
        return None
    try:
        obj = json.loads(data)
    except ValueError:
        return None
    document = obj.get("document") if is_receipt(obj) else None
    recorded = document.get("name") if isinstance(document, dict) else None
    return recorded if isinstance(recorded, str) and recorded != name else None


_DUMPED_NAME = b'"document": {\n    "name": '
