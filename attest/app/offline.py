"""Verify a receipt/2 with no network at all: `attest verify RECEIPT --offline --trust-block N:HASH`.

Everything comes from files and is checked against the one thing trusted from outside, the
checkpoint (the hash of the receipt's block, obtained from the consortium out of band): the header
in the receipt must hash to it; the registry's account proof against that header's stateRoot gives
the registry's codeHash, which must be that of the committed artifact with the manifest's
governance as `membership` (attest.app.deployment_check.expected_registry_code); the storage proof
of the attestation's record slot — computed here from (organisation, digest) — gives the record;
the governance's proof gives the organisation's name. What offline verification cannot know is said
in the report: a revocation or restatement after that block.
"""

from __future__ import annotations

from attest.app.proven import name_slots, record_slot
from attest.app.verify import read_target
from attest.chain.proving import account_proof_from_rpc
from attest.core.contracts import GOVERNANCE, REGISTRY, Kind
from attest.core.errors import InputError
from attest.core.header import BlockHeader, Checkpoint, accept_header, header_hash
from attest.core.manifest import Manifest
from attest.core.names import normalise_name
from attest.core.proof_errors import HeaderMismatch, ProofError
from attest.core.proofs import verify_account_proof
from attest.core.records import attestation_uid
from attest.core.storage import contract_layout, word_of_bytes32, word_of_uint
from attest.core.verification import Check, Report


def verify_offline(manifest: Manifest, manifest_sha256: str, target: str, checkpoint: Checkpoint) -> Report:
    """The report of a receipt/2 (with its document beside it, if at hand) against `checkpoint`."""
    from eth_utils import keccak, to_checksum_address

    from attest.app.batch import verify_batch_receipt
    from attest.app.deployment_check import expected_registry_code

    t = read_target(target)
    r = t.receipt
    if r is None:
        raise InputError(
            "--offline verifies a receipt (esg-attest/receipt/2), not a document or digest", path=target
        )
    if r.proof is None:
        raise InputError(
            "this receipt carries no proofs (esg-attest/receipt/1): verify it online",
            path=target,
            field="proof",
        )
    checks: list[Check] = []
    registry, governance = manifest.registry.address, manifest.governance.address
    if r.chain.chain_id != manifest.chain_id or r.chain.registry.lower() != registry.lower():
        raise InputError(
            f"the receipt is for chain {r.chain.chain_id}, registry {r.chain.registry}: not the manifest's "
            f"deployment (chain {manifest.chain_id}, registry {registry})",
            path=target,
        )
    # 1. the header: the one thing trusted is the checkpoint's hash
    header = _header(r.proof.header)
    at = f"block {checkpoint.number} {'0x' + checkpoint.hash.hex()} (checkpoint)"
    if checkpoint.number != r.chain.block_number or header.number != checkpoint.number:
        checks.append(
            Check(
                "receipt",
                "fail",
                f"the receipt is of block {r.chain.block_number}, the checkpoint "
                f"is of block {checkpoint.number}",
            )
        )
    elif not _hashes_to(header, checkpoint.hash):
        checks.append(
            Check(
                "receipt",
                "fail",
                f"the header in the receipt hashes to 0x{header_hash(header).hex()}, "
                f"not to the checkpoint's hash: {at}",
            )
        )
    elif r.chain.block_hash.lower() != "0x" + checkpoint.hash.hex():
        checks.append(
            Check("receipt", "fail", f"the receipt names block hash {r.chain.block_hash}, not {at}")
        )
    else:
        checks.append(Check("receipt", "pass", f"its header hashes to the checkpoint's {at}"))
    if checks[-1].status == "fail":
        return Report(target, t.digest, checks, None)
    try:
        reg = verify_account_proof(
            header.state_root,
            account_proof_from_rpc(r.proof.registry),
            address=bytes.fromhex(registry[2:]),
            slots=[],
        )
    except ProofError as exc:
        return Report(
            target, t.digest, [*checks, Check("deployment", "fail", f"registry account: {exc}")], None
        )
    expected = bytes(
        keccak(
            expected_registry_code(
                manifest.chain_id, to_checksum_address(registry), to_checksum_address(governance)
            )
        )
    )
    if reg.account.code_hash != expected:
        checks.insert(
            0,
            Check(
                "deployment",
                "fail",
                f"the registry's proven codeHash 0x{reg.account.code_hash.hex()} "
                f"is not the artifact's with membership = governance {governance}",
            ),
        )
    else:
        checks.insert(
            0,
            Check(
                "deployment",
                "pass",
                f"chain id {manifest.chain_id}, registry {registry}, manifest "
                f"sha256 {manifest_sha256}: proven code bound to governance {governance}",
            ),
        )
    checks.insert(
        1,
        Check("digest", "fail", t.mismatch)
        if t.mismatch
        else Check("digest", "pass", f"sha256 {t.digest} ({t.detail})"),
    )
    if r.merkle is not None:
        ok = verify_batch_receipt(r)
        checks.append(
            Check(
                "merkle",
                "pass" if ok else "fail",
                "the proof leads from the document to the root"
                if ok
                else "the Merkle proof does not lead from this document to the root",
            )
        )
    lookup = r.merkle.root[2:].lower() if r.merkle is not None else t.digest
    uid = attestation_uid(r.attestation.org_id, bytes.fromhex(lookup)).lower()
    try:
        words = verify_account_proof(
            header.state_root,
            account_proof_from_rpc(r.proof.registry),
            address=bytes.fromhex(registry[2:]),
            slots=[record_slot(uid)],
        ).storage
        names = verify_account_proof(
            header.state_root,
            account_proof_from_rpc(r.proof.governance),
            address=bytes.fromhex(governance[2:]),
            slots=name_slots(r.attestation.org_id),
        ).storage
    except ProofError as exc:
        return Report(target, t.digest, [*checks, Check("anchored", "fail", f"proof: {exc}")], None)
    layout = contract_layout(REGISTRY)
    record = layout.entry(layout.variable("_attestations"), word_of_bytes32(uid))
    word = words[record.slot]

    def field(name: str) -> int:
        return layout.read(layout.member(record, name), word)

    gov = contract_layout(GOVERNANCE)
    name_at = gov.member(
        gov.member(gov.entry(gov.variable("_organisations"), word_of_uint(r.attestation.org_id)), "info"),
        "name",
    )
    try:
        name = gov.read_string(name_at, lambda s: names[s])
    except KeyError:
        name = "?"
    who = f"{name} (org #{r.attestation.org_id})"
    kind = Kind(field("kind")) if field("kind") in {k.value for k in Kind} else None
    kind_label = kind.label if kind is not None else f"kind {field('kind')}"
    expected_kind = Kind.BATCH if r.merkle is not None else (t.kind or Kind.FILE)
    if field("attester") == 0:
        checks.append(
            Check(
                "anchored",
                "fail",
                f"no attestation {uid} by org #{r.attestation.org_id} of this digest "
                f"at block {header.number} (proven)",
            )
        )
    elif kind is not expected_kind or field("orgId") != r.attestation.org_id:
        checks.append(
            Check(
                "anchored",
                "fail",
                f"the proven record {uid} is {kind_label} by org #{field('orgId')}, "
                f"not {expected_kind.label} by org #{r.attestation.org_id}",
            )
        )
    else:
        attester = "0x" + field("attester").to_bytes(20, "big").hex()
        checks.append(
            Check(
                "anchored",
                "pass",
                f"{kind_label} for {field('year')} by {who}, account "
                f"{to_checksum_address(attester)}, block {field('blockNumber')} (proven)",
            )
        )
        checks.append(
            Check(
                "authorised",
                "pass",
                "the registry refuses an account without the role, and its code is "
                "proven: the attester was authorised at that block",
            )
        )
    if t.named_org is not None and normalise_name(t.named_org) != normalise_name(name):
        checks.append(
            Check(
                "organisation",
                "fail",
                f"the document names {t.named_org!r}; the proven attestation is by {who}",
            )
        )
    revoked = field("revoked") if field("attester") else 0
    checks.append(
        Check(
            "status",
            "fail" if revoked else "info",
            "revoked by that block (proven)"
            if revoked
            else f"not revoked at block {header.number}; offline verification cannot know of a "
            "revocation or restatement after that block: verify online for the current status",
        )
    )
    return Report(target, t.digest, checks, None)


def _hashes_to(header: BlockHeader, agreed: bytes) -> bool:
    """Whether the header is the block with this hash (`accept_header`'s rule, BFT blocks included)."""
    try:
        accept_header(header, agreed)
    except HeaderMismatch:
        return False
    return True


def _header(rlp_hex: str) -> BlockHeader:
    """The header fields from their RLP, for whichever fork fields are present."""
    import rlp  # type: ignore[import-untyped]

    from attest.core.header import HEADER_FIELDS, FieldKind

    try:
        values = rlp.decode(bytes.fromhex(rlp_hex[2:]))
    except (rlp.DecodingError, ValueError):
        raise InputError("the receipt's header is not RLP", field="proof.header") from None
    fields: dict[str, int | bytes] = {}
    for spec, value in zip(HEADER_FIELDS, values, strict=False):
        if not isinstance(value, bytes):
            raise InputError("the receipt's header is not a list of fields", field="proof.header")
        fields[spec.rpc_name] = int.from_bytes(value, "big") if spec.kind is FieldKind.INT else value
    if not isinstance(values, list) or len(values) > len(HEADER_FIELDS):
        raise InputError("the receipt's header has too many fields", field="proof.header")
    try:
        return BlockHeader.from_fields(fields)
    except (ProofError, TypeError) as exc:
        raise InputError(f"the receipt's header: {exc}", field="proof.header") from None
