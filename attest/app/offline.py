"""Verify a receipt/2 with no network at all: `attest verify RECEIPT --offline --trust-block N:HASH`.

Everything comes from files and is checked against the one thing trusted from outside, the
checkpoint (the hash of the receipt's block, obtained from the consortium out of band): the header
in the receipt must hash to it; the registry's account proof against that header's stateRoot gives
the registry's codeHash, which must be that of the committed artifact with the manifest's
governance as `membership` (attest.app.deployment_check.expected_registry_code); the storage proof
of the attestation's record slot — computed here from (organisation, digest) — gives the record;
the governance's proof gives the organisation's name.

From those proven facts the same `Evidence` is built that online verification gathers, and the same
rules decide (`core.verification.decide`): one verifier. What offline verification cannot know —
anything after the receipt's block: a revocation or restatement, a key frozen since, the statements
covering figures, claims on credits, the chain's head — is named in `Evidence.unknowable`, so each
such line says so instead of disappearing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from attest.app.proven import name_slots, record_slot
from attest.app.verify import Target, document_records, document_retirements, read_target, records_not_at_hand
from attest.chain.proving import account_proof_from_rpc
from attest.core.chain_family import family
from attest.core.contracts import GOVERNANCE, REGISTRY, Kind, Role
from attest.core.credits import CreditPolicy
from attest.core.errors import InputError
from attest.core.grounds import Ground, Grounds
from attest.core.header import BlockHeader, Checkpoint, header_hash
from attest.core.manifest import Manifest
from attest.core.membership_history import Standing
from attest.core.names import normalise_name
from attest.core.proof_errors import HeaderMismatch, ProofError
from attest.core.proofs import verify_account_proof
from attest.core.receipt import Receipt
from attest.core.records import ZERO_REF, OnchainAttestation, attestation_uid
from attest.core.storage import contract_layout, word_of_bytes32, word_of_uint
from attest.core.verification import Check, DeploymentFacts, Evidence, Report, decide, rest


def verify_offline(
    manifest: Manifest,
    manifest_sha256: str,
    target: str,
    checkpoint: Checkpoint,
    *,
    org: str | None = None,
    strict: bool = False,
    credits: CreditPolicy | None = None,
) -> Report:
    """The report of a receipt/2 (with its document beside it, if at hand) against `checkpoint`;
    `org` (an id or a name) must be the proven attestation's organisation, as online."""
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
    registry, governance = manifest.registry.address, manifest.governance.address
    if r.chain.chain_id != manifest.chain_id or r.chain.registry.lower() != registry.lower():
        raise InputError(
            f"the receipt is for chain {r.chain.chain_id}, registry {r.chain.registry}: not the manifest's "
            f"deployment (chain {manifest.chain_id}, registry {registry})",
            path=target,
        )
    # 1. the header: the one thing trusted is the checkpoint's hash; nothing else holds without it
    header = _header(r.proof.header)
    at = f"block {checkpoint.number} {'0x' + checkpoint.hash.hex()} (checkpoint)"
    problem = _header_problem(header, r, checkpoint, at, manifest)
    if problem is not None:
        # the receipt's header against the checkpoint the reader gave: nothing from any chain
        line = Check("receipt", "fail", problem, Ground.FILE.label, "the receipt and the checkpoint given")
        return Report(target, t.digest, [line], None)
    # 2. the registry's code at that block: the deployment, and what its rules guarantee
    try:
        code_hash = verify_account_proof(
            header.state_root,
            account_proof_from_rpc(r.proof.registry),
            address=bytes.fromhex(registry[2:]),
            slots=[],
        ).account.code_hash
        code_problem = _code_problem(manifest, code_hash)
    except ProofError as exc:
        code_problem = f"registry account: {exc}"
    # 3. the record and the organisation's name, from their storage proofs
    lookup = t.lookup
    uid = attestation_uid(r.attestation.org_id, bytes.fromhex(lookup)).lower()
    record, name, problem = None, "?", None
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
        record = _record(uid, lookup, words[record_slot(uid)], r)
        name = _name(r.attestation.org_id, names)
        if record is None:
            problem = (
                f"no attestation {uid} by org #{r.attestation.org_id} of this digest at block "
                f"{header.number} (proven)"
            )
    except ProofError as exc:
        problem = f"proof: {exc}"
    evidence = _evidence(
        manifest, manifest_sha256, target, t, r, header, at, record, name, code_problem, org, credits
    )
    report = decide(replace(evidence, anchored_problem=problem, strict=strict))
    # every fact offline comes from the receipt's proofs, against the checkpoint's header; what it
    # cannot know (the head, anything after the block) is named unknowable, and said so on its line
    proven = (Ground.PROVEN, f"the receipt's proofs against {at}")
    grounds = Grounds(dict.fromkeys(("code", "record", "status", "names", "standing", "logs"), proven))
    rest(report, grounds, require=False, unknowable=evidence.unknowable)
    return report


def _header_problem(
    header: BlockHeader, r: Receipt, checkpoint: Checkpoint, at: str, manifest: Manifest
) -> str | None:
    if checkpoint.number != r.chain.block_number:
        return (
            f"the receipt is of block {r.chain.block_number}, the checkpoint is of block {checkpoint.number}"
        )
    if header.number != checkpoint.number:
        return (
            f"the header in the receipt is of block {header.number}, not of the receipt's block "
            f"{checkpoint.number}"
        )
    if not _hashes_to(header, checkpoint.hash, manifest):
        computed = header_hash(header).hex()
        return f"the header in the receipt hashes to 0x{computed}, not to the checkpoint's hash: {at}"
    if r.chain.block_hash.lower() != "0x" + checkpoint.hash.hex():
        return f"the receipt names block hash {r.chain.block_hash}, not {at}"
    return None


def _code_problem(manifest: Manifest, code_hash: bytes) -> str | None:
    """Why the proven code is not the committed registry bound to the manifest's governance."""
    from eth_utils import keccak, to_checksum_address

    from attest.app.deployment_check import expected_registry_code

    registry, governance = manifest.registry.address, manifest.governance.address
    expected = bytes(
        keccak(
            expected_registry_code(
                manifest.chain_id, to_checksum_address(registry), to_checksum_address(governance)
            )
        )
    )
    if code_hash == expected:
        return None
    return (
        f"the registry's proven codeHash 0x{code_hash.hex()} is not the artifact's with membership = "
        f"governance {governance}"
    )


def _record(uid: str, digest: str, word: int, r: Receipt) -> OnchainAttestation | None:
    """The attestation the proven record slot holds (None: the slot is empty). Its transaction hash
    is the receipt's (no proof covers it; the receipt line says so); what storage does not hold
    (the reference, the URI) is left empty — the lines that would need it are unknowable offline."""
    from eth_utils import to_checksum_address

    layout = contract_layout(REGISTRY)
    at = layout.entry(layout.variable("_attestations"), word_of_bytes32(uid))

    def field(name: str) -> int:
        return layout.read(layout.member(at, name), word)

    if field("attester") == 0:
        return None
    kind = field("kind")
    if kind not in {k.value for k in Kind}:
        return None
    return OnchainAttestation(
        uid=uid,
        digest=digest,
        org_id=field("orgId"),
        attester=to_checksum_address("0x" + field("attester").to_bytes(20, "big").hex()),
        kind=Kind(kind),
        year=field("year"),
        ref=ZERO_REF,
        uri="",
        block_number=field("blockNumber"),
        log_index=0,
        block_hash=r.chain.block_hash,
        transaction_hash=r.chain.transaction_hash,
        revoked=bool(field("revoked")),
        revocation=None,
        superseded_by=None,
    )


def _name(org_id: int, words: Mapping[int, int]) -> str:
    gov = contract_layout(GOVERNANCE)
    name_at = gov.member(
        gov.member(gov.entry(gov.variable("_organisations"), word_of_uint(org_id)), "info"), "name"
    )
    try:
        return gov.read_string(name_at, lambda s: words[s])
    except KeyError:
        return "?"


def _evidence(
    manifest: Manifest,
    manifest_sha256: str,
    target: str,
    t: Target,
    r: Receipt,
    header: BlockHeader,
    at: str,
    record: OnchainAttestation | None,
    name: str,
    code_problem: str | None,
    org: str | None = None,
    credits: CreditPolicy | None = None,
) -> Evidence:
    """Online verification's evidence, from the receipt's proven facts; the rest named unknowable."""
    from attest.core.batch_receipt import verify_batch_receipt

    org_id = r.attestation.org_id
    block = header.number
    standing = {}
    if record is not None:
        # the registry's proven code refuses an attestation of this kind from an account whose
        # organisation does not hold its role: the record's existence proves the role was held
        role = Role.VERIFIER if record.kind is Kind.STATEMENT else Role.PUBLISHER
        standing[record.uid] = Standing(record.attester, record.org_id, name, True, int(role), False)
    conflicts = []
    if record is not None and t.named_org is not None and normalise_name(t.named_org) != normalise_name(name):
        conflicts.append(
            f"the document names {t.named_org!r}; the proven attestation is by {name} (org #{org_id})"
        )
    if org is not None and record is not None:  # `--org`, as online: only narrows, never overrides
        named = org.strip()
        same = (
            int(named) == record.org_id if named.isdigit() else normalise_name(named) == normalise_name(name)
        )
        if not same:
            conflicts.append(
                f"--org {org} is not the proven attestation's organisation, {name} (org #{record.org_id})"
            )
    after = f"after block {block}"
    unknowable = {
        "key": f"offline: whether the attester's key was frozen {after} is not in the receipt",
        "reference": "offline: the figures a statement covers are not in its receipt: verify online",
        "coverage": "offline: the statements covering these figures are not in the receipt: verify online",
        "credits": "offline: the claims on these credits are not in the receipt: verify online",
        "confirmations": f"offline: the chain's head is not known; the checkpoint vouches for block {block}",
    }
    if record is not None and not record.revoked:
        unknowable["status"] = (
            f"not revoked at block {block} (proven); offline verification cannot know of a revocation or "
            "restatement after that block: verify online for the current status"
        )
    return Evidence(
        target=t.facts(target, verify_batch_receipt(r) if r.merkle is not None else None),
        deployment=DeploymentFacts(
            chain_id=manifest.chain_id,
            registry=manifest.registry.address,
            governance=manifest.governance.address,
            # the receipt's proof of the registry's code, with this governance as membership
            bound_governance=manifest.governance.address,
            manifest_sha256=manifest_sha256,
            confirmations_required=0,
        ),
        head=block,
        attestations=[record] if record is not None else [],
        standing_at_attest=standing,
        standing_now={},
        org_names={org_id: name},
        expected_org=org_id,
        expected_org_source="receipt",
        organisation_conflicts=conflicts,
        receipt_block_hash_on_chain=r.chain.block_hash,
        retirement_checks=document_retirements(t, credits),
        record_checks=document_records(t, credits)
        or (
            records_not_at_hand(t, credits) if record is not None and record.kind is Kind.STATEMENT else None
        ),
        unknowable=unknowable,
        bound_by=(
            ": proven code (its codeHash at the checkpoint's block is the artifact's with that membership)"
        ),
        receipt_vouched_by=(
            f"its header hashes to the checkpoint's {at}; chain id and registry are the manifest's; "
            "the transaction hash is the receipt's word"
        ),
        authorised_by=" (the registry's proven code refuses an account without it)",
        deployment_problem=code_problem,
    )


def _hashes_to(header: BlockHeader, agreed: bytes, manifest: Manifest) -> bool:
    """Whether the header is the block with this hash, by the manifest's chain family's rule."""
    try:
        family(manifest.family).accept(header, agreed)
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
    if len(values) < 15:  # the yellow paper's fields come before every fork's
        raise InputError(
            f"the receipt's header has {len(values)} fields, fewer than a block header's 15",
            field="proof.header",
        )
    try:
        return BlockHeader.from_fields(fields)
    except (ProofError, TypeError) as exc:
        raise InputError(f"the receipt's header: {exc}", field="proof.header") from None
