"""Off-line signed attestations: a verifier signs on an air-gapped machine, anyone relays on-chain.

The signed request is a self-describing JSON file (schema `esg-attest/signed-attestation/1`): the
statement's digest part, the complete EIP-712 typed data in the `eth_signTypedData_v4` layout (so any
wallet or tool can display and re-check what was signed), the signer and the signature. Signing needs
the manifest's chain id and registry address but no RPC: the nonce is given (`--nonce`) or, when a
node is reachable, read from it. The registry re-checks everything that matters: the EIP-712 domain
binds the signature to one chain id and one contract, the signer's nonce is consumed (so a signature
lands once), the deadline is enforced, and the signer must be an authorised verifier account.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from attest.core.contracts import Kind
from attest.core.documents import HashedDocument
from attest.core.errors import InputError, SchemaError
from attest.core.manifest import Manifest
from attest.core.receipt import DocumentPart
from attest.core.strictjson import load_strict

if TYPE_CHECKING:
    from attest.app.journal import Journal
    from attest.chain.deployment import Deployment
    from attest.chain.signer import Signer
    from attest.core.records import Published

SIGNED_SCHEMA = "esg-attest/signed-attestation/1"
DEFAULT_DEADLINE_HOURS = 72
ATTEST_TYPES: dict[str, list[dict[str, str]]] = {
    "EIP712Domain": [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ],
    "Attest": [
        {"name": "digest", "type": "bytes32"},
        {"name": "kind", "type": "uint8"},
        {"name": "year", "type": "uint16"},
        {"name": "ref", "type": "bytes32"},
        {"name": "uri", "type": "string"},
        {"name": "attester", "type": "address"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ],
}
_HEX32 = r"^0x[0-9a-fA-F]{64}$"
_ADDRESS = r"^0x[0-9a-fA-F]{40}$"
UID_RE = re.compile(r"0x[0-9a-fA-F]{64}")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Domain(_Model):
    name: Literal["esg-attest AttestationRegistry"]
    version: Literal["1"]
    chainId: int = Field(ge=1)
    verifyingContract: str = Field(pattern=_ADDRESS)


class AttestMessage(_Model):
    digest: str = Field(pattern=_HEX32)
    kind: int = Field(ge=1, le=4)
    year: int = Field(ge=0, le=65535)
    ref: str = Field(pattern=_HEX32)
    uri: str
    attester: str = Field(pattern=_ADDRESS)
    nonce: int = Field(ge=0, lt=2**256)
    deadline: int = Field(ge=0, lt=2**256)


class TypedData(_Model):
    types: dict[str, list[dict[str, str]]]
    primaryType: Literal["Attest"]
    domain: Domain
    message: AttestMessage


class SignedRequest(_Model):
    schema_: Literal["esg-attest/signed-attestation/1"] = Field(
        default="esg-attest/signed-attestation/1", alias="schema"
    )
    document: DocumentPart
    typed_data: TypedData
    signer: str = Field(pattern=_ADDRESS)
    signature: str = Field(pattern=r"^0x[0-9a-fA-F]{130}$")

    def dump(self) -> bytes:
        return (json.dumps(self.model_dump(by_alias=True), indent=2) + "\n").encode()


def typed_data(manifest: Manifest, message: AttestMessage) -> TypedData:
    """The EIP-712 typed data for `message`, in the manifest's deployment's domain."""
    domain = Domain(
        name="esg-attest AttestationRegistry",
        version="1",
        chainId=manifest.chain_id,
        verifyingContract=_checksum(manifest.registry.address),
    )
    return TypedData(types=ATTEST_TYPES, primaryType="Attest", domain=domain, message=message)


def signable(data: TypedData) -> Any:
    """The EIP-712 signable message (eth_account), built from the file's typed data as written."""
    from eth_account.messages import encode_typed_data

    return encode_typed_data(full_message=data.model_dump())


def sign_statement(
    account: Signer,
    doc: HashedDocument,
    *,
    year: int,
    covers: str,
    manifest: Manifest,
    nonce: int,
    deadline: int,
    uri: str = "",
) -> SignedRequest:
    """Sign an attestation of the statement `doc` covering figures attestation `covers` (no chain I/O)."""
    if doc.statement is None:
        raise InputError(
            "only a carbon-verification/1 statement can be signed", path=doc.path, field="schema"
        )
    if not UID_RE.fullmatch(covers):
        raise InputError(f"{covers!r} is not an attestation uid (0x + 64 hex digits)", field="--covers")
    _no_credit_blocks(doc)
    message = AttestMessage(
        digest="0x" + doc.digest,
        kind=int(Kind.STATEMENT),
        year=year,
        ref=covers.lower(),
        uri=uri,
        attester=account.address,
        nonce=nonce,
        deadline=deadline,
    )
    data = typed_data(manifest, message)
    signature = account.sign_message(signable(data)).signature
    part = DocumentPart(
        name=doc.path.name, media_type=doc.media_type, digest=doc.digest, digest_rule=doc.digest_rule
    )
    return SignedRequest(
        document=part, typed_data=data, signer=account.address, signature="0x" + bytes(signature).hex()
    )


def _no_credit_blocks(doc: HashedDocument) -> None:
    """A relayed attestation (`attestBySig`) cannot carry the credit blocks a neutrality statement
    retires; anchored without them, no other statement's check would see its claim (`verify` fails
    it: `credits: recorded`). Refused before anything is signed."""
    from attest.core.credits import claimed_credits

    claimed = claimed_credits(doc.statement)
    if claimed is not None:
        raise InputError(
            f"it retires {len(claimed.blocks)} credit block(s), which an off-line signed attestation "
            "cannot record on-chain yet: publish it with `attest publish statement`",
            path=doc.path,
            field="neutrality_claim",
        )


def deadline_in(hours: float, now: float | None = None) -> int:
    """Unix time `hours` from now (the signing machine's clock: the chain's is not reachable)."""
    if hours <= 0:
        raise InputError("must be positive", field="--deadline-hours")
    return int((time.time() if now is None else now) + hours * 3600)


def recover_signer(request: SignedRequest) -> str:
    """The account that signed the typed data, as recovered from the signature."""
    from eth_account import Account

    try:
        return str(Account.recover_message(signable(request.typed_data), signature=request.signature))
    except Exception as exc:  # noqa: BLE001 - eth_keys raises several types for malformed signatures
        raise InputError(f"signature cannot be recovered ({type(exc).__name__})", field="signature") from None


def parse_signed(obj: object, *, path: str | Path | None = None) -> SignedRequest:
    """Validate a signed request and that its signature is its signer's over exactly its typed data."""
    try:
        request = SignedRequest.model_validate(obj)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        raise SchemaError(err["msg"], path=path, field=loc) from None
    if request.typed_data.types != ATTEST_TYPES:
        raise SchemaError("not the registry's Attest type", path=path, field="typed_data.types")
    message = request.typed_data.message
    if "0x" + request.document.digest != message.digest.lower():
        raise SchemaError("the document digest is not the signed digest", path=path, field="document.digest")
    if message.attester.lower() != request.signer.lower():
        raise SchemaError("the signer is not the message's attester", path=path, field="signer")
    try:
        recovered = recover_signer(request)
    except InputError as exc:
        raise InputError(exc.detail, path=path, field="signature") from None
    if recovered.lower() != request.signer.lower():
        raise InputError(
            f"the signature is by {recovered}, not by {request.signer}", path=path, field="signature"
        )
    return request


def load_signed(path: str | Path) -> SignedRequest:
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read signed request: {exc.strerror}", path=p) from None
    return parse_signed(load_strict(data, path=p), path=p)


def check_domain(request: SignedRequest, manifest: Manifest, *, path: str | Path | None = None) -> None:
    """Refuse, before sending, a request signed for another chain or another registry."""
    domain = request.typed_data.domain
    if domain.chainId != manifest.chain_id:
        raise InputError(
            f"signed for chain id {domain.chainId}, this deployment is chain id {manifest.chain_id}",
            path=path,
            field="typed_data.domain.chainId",
        )
    if domain.verifyingContract.lower() != manifest.registry.address.lower():
        raise InputError(
            f"signed for registry {domain.verifyingContract}, "
            f"this deployment's is {manifest.registry.address}",
            path=path,
            field="typed_data.domain.verifyingContract",
        )


def attest_by_sig_call(deployment: Deployment, request: SignedRequest) -> Any:
    """The registry's attestBySig call for `request` (what `relay` sends; tests send it unchecked)."""
    m = request.typed_data.message
    return deployment.registry.functions.attestBySig(
        bytes.fromhex(m.digest[2:]),
        m.kind,
        m.year,
        bytes.fromhex(m.ref[2:]),
        m.uri,
        _checksum(m.attester),
        m.deadline,
        bytes.fromhex(request.signature[2:]),
    )


def relay(
    deployment: Deployment,
    relayer: Signer,
    request: SignedRequest,
    *,
    path: str | Path | None = None,
    journal: Journal | None = None,
) -> Published:
    """Submit a signed request from any funded account; the registry checks signer, nonce and deadline.

    Idempotent like publishing, and through the same anchor path (`attest.app.anchor`; with a
    `journal`, the relayer's transaction is recorded before it is sent): when the signer's
    organisation already anchored the document (the verifier published it directly, or this was
    relayed before), nothing is sent and that attestation is returned with `already_anchored`.
    """
    from attest.app.anchor import anchor_one
    from attest.chain.anchoring import AnchorRequest
    from attest.chain.deployment import unsigned_call

    check_domain(request, deployment.manifest, path=path)
    m = request.typed_data.message
    anchored = AnchorRequest(
        request.document.digest,
        Kind(m.kind),
        m.year,
        ref=None if int(m.ref, 16) == 0 else m.ref.lower(),
        uri=m.uri,
        label=str(path or request.document.name),
        attester=_checksum(request.signer),
        tx=unsigned_call(attest_by_sig_call(deployment, request), relayer),
    )
    # an existing attestation that was revoked or covers other figures is refused by the anchor path
    # (`attest.app.anchor.as_asked`: AttestationRevoked, AnchoredDifferently)
    return anchor_one(deployment, relayer, anchored, journal=journal).unwrap()


def relayed_document(request: SignedRequest, statement_path: Path) -> HashedDocument:
    """The statement as its receipt describes it: from the request, re-hashed if the file is at hand."""
    part = request.document
    if statement_path.is_file():
        from attest.core.documents import hash_document

        doc = hash_document(statement_path, structured=True)
        if doc.digest != part.digest:
            raise InputError(
                f"sha256 {doc.digest} is not the signed digest {part.digest}", path=statement_path
            )
        return doc
    return HashedDocument(statement_path, part.media_type, part.digest, part.digest_rule)


def _checksum(address: str) -> str:
    from eth_utils import to_checksum_address

    return str(to_checksum_address(address))
