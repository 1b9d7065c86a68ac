"""What the node said its registry logs were, judged against a block's proven receipts.

A block's receipts that rebuild its header's receiptsRoot (`core.receipt_trie.check_receipts`), for
a header whose hash the nodes agree on, are that block's receipts: every log in them was emitted in
that block, at that position, by that address, with those topics and data. The position of a log
in the block (its `logIndex`) is its place among all the block's receipts' logs, in order.

A record the verdict rests on is proven here when the registry's address emitted, in the record's
block and at its log index, exactly the log the registry emits for it: for an `Attested` record the
topics and data are the ABI encoding of its uid, digest, organisation, attester, kind, year,
reference and URI, so the log is compared byte for byte with that encoding; so is a `CreditClaimed`
log (issuance, statement, units), at the position the node named. `Covered` (a statement covers
figures), `Revoked` (who revoked, why) and `NeutralityClaimed` (for whom, which year, how much) logs
are found anywhere in their block, the node not having named their position.

Not proven by receipts: the transaction hash (the receipts trie is keyed by a transaction's index,
not its hash; that would be the transactions trie's job) — it stays the node's word; and logs a node
leaves out of eth_getLogs, which no receipt of a block it was not asked about can show. Those facts
rest on the completeness of the logs of every node asked (`omitted`).

Pure: plain records and bytes in, results out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from attest.core.contracts import topics as event_topics
from attest.core.credits import ClaimRecord, NeutralityRecord
from attest.core.receipt_trie import Log, TxReceipt, check_receipts
from attest.core.records import OnchainAttestation, Revocation

#: the data types of `Attested` (its non-indexed parameters), in order
ATTESTED_DATA = ["address", "uint8", "uint16", "bytes32", "string"]


@dataclass(frozen=True)
class ProvenBlock:
    """A block whose hash the nodes agreed on and whose receipts rebuilt its receiptsRoot: its
    logs in block order (index = logIndex)."""

    number: int
    hash: str  # 0x-hex, lower case: the agreed hash
    logs: tuple[Log, ...]


@dataclass(frozen=True)
class LogResult:
    """One log fact judged: `problem` is None when the proven receipts hold it exactly."""

    uid: str  # the attestation the log is about (for Covered and the credit logs: the statement)
    event: str  # "Attested", "Covered", "Revoked", "CreditClaimed" or "NeutralityClaimed"
    block: int
    problem: str | None = None


def proven_block(
    number: int, block_hash: bytes, receipts_root: bytes, receipts: Sequence[TxReceipt]
) -> ProvenBlock:
    """The block's logs, if `receipts` rebuild `receipts_root` (the root of the header that hashes
    to the agreed `block_hash`).

    Raises:
        ReceiptsRootMismatch: the receipts rebuild another root (a log changed, added, left out).
        MalformedProof: a receipt cannot be encoded.
    """
    check_receipts(receipts, receipts_root, block=number)
    logs = tuple(log for r in receipts for log in r.logs)
    return ProvenBlock(number, "0x" + block_hash.hex(), logs)


def _b32(hex_text: str) -> bytes:
    raw = bytes.fromhex(hex_text.removeprefix("0x").removeprefix("0X"))
    if len(raw) != 32:
        raise ValueError(f"not 32 bytes: {hex_text!r}")
    return raw


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def _address(text: str) -> bytes:
    return bytes.fromhex(text.removeprefix("0x").removeprefix("0X"))


def attested_log(a: OnchainAttestation, registry: str) -> Log:
    """The `Attested` log the registry emits for record `a`."""
    topics = (event_topics().attested, _b32(a.uid), _b32(a.digest), _word(a.org_id))
    return Log(_address(registry), topics, attested_data(a.attester, int(a.kind), a.year, a.ref, a.uri))


def attested_data(attester: str, kind: int, year: int, ref: str, uri: str) -> bytes:
    """`Attested`'s data: the ABI encoding of (address, uint8, uint16, bytes32, string) — four words,
    the string's offset, then its length and its bytes padded to a word. Written out rather than by
    eth_abi, which takes 80 µs an encoding, paid for every record of a bulk run; the tests compare
    the two on random values."""
    text = uri.encode("utf-8")
    address = _address(attester)
    if len(address) != 20 or not 0 <= kind < 2**8 or not 0 <= year < 2**16:
        raise ValueError(f"not an Attested record: attester {attester!r}, kind {kind}, year {year}")
    padded = text + b"\x00" * (-len(text) % 32)
    head = address.rjust(32, b"\x00") + _word(kind) + _word(year) + _b32(ref) + _word(5 * 32)
    return head + _word(len(text)) + padded


def covered_log(figures_uid: str, statement: OnchainAttestation, registry: str) -> Log:
    """The `Covered` log the registry emits when `statement` is attested covering `figures_uid`."""
    topics = (event_topics().covered, _b32(figures_uid), _b32(statement.uid), _word(statement.org_id))
    return Log(_address(registry), topics, b"")


def revoked_log(uid: str, revocation: Revocation, registry: str) -> Log:
    """The `Revoked` log the registry emits for `revocation` of `uid`."""
    from eth_abi import encode

    by = _address(revocation.by).rjust(32, b"\x00")
    topics = (event_topics().revoked, _b32(uid), _word(revocation.org_id), by)
    return Log(_address(registry), topics, bytes(encode(["string"], [revocation.reason])))


def judge_attested(a: OnchainAttestation, block: ProvenBlock, registry: str) -> LogResult:
    """Whether `block`'s proven logs hold, at `a.log_index`, exactly the `Attested` log of `a`."""
    uid = a.uid.lower()
    fact = "Attested"
    if a.block_hash.lower() != block.hash:
        return LogResult(
            uid, fact, block.number,
            f"the node puts attestation {uid} in block {block.number} with hash {a.block_hash}, but the "
            f"agreed hash of that block is {block.hash}",
        )  # fmt: skip
    expected = attested_log(a, registry)
    if 0 <= a.log_index < len(block.logs) and block.logs[a.log_index] == expected:
        return LogResult(uid, fact, block.number)
    found = [
        i
        for i, log in enumerate(block.logs)
        if log.address == expected.address and log.topics[:2] == expected.topics[:2]
    ]
    if not found:
        return LogResult(
            uid, fact, block.number,
            f"block {block.number}'s receipts (proven) hold no Attested log of {uid}: the node's log is "
            "not the chain's",
        )  # fmt: skip
    at = found[0]
    diffs = _attested_diffs(a, block.logs[at])
    if at != a.log_index:
        diffs.insert(0, f"log index {at}, the node said {a.log_index}")
    return LogResult(
        uid, fact, block.number,
        f"attestation {uid}'s Attested log in block {block.number} (proven) differs from the node's: "
        + "; ".join(diffs or ["its bytes"]),
    )  # fmt: skip


def _attested_diffs(a: OnchainAttestation, log: Log) -> list[str]:
    """What the proven `Attested` log says that the node's record does not, field by field."""
    from eth_abi import decode
    from eth_abi.exceptions import DecodingError

    said: dict[str, object] = {
        "digest": a.digest.removeprefix("0x").lower(),
        "organisation": a.org_id,
        "attester": a.attester.lower(),
        "kind": int(a.kind),
        "year": a.year,
        "ref": a.ref.lower(),
        "URI": a.uri,
    }
    if len(log.topics) != 4:
        return [f"{len(log.topics)} topics"]
    try:
        attester, kind, year, ref, uri = decode(ATTESTED_DATA, log.data)
    except (DecodingError, ValueError, UnicodeDecodeError):
        return ["its data does not decode"]
    proven: dict[str, object] = {
        "digest": log.topics[2].hex(),
        "organisation": int.from_bytes(log.topics[3], "big"),
        "attester": str(attester).lower(),
        "kind": kind,
        "year": year,
        "ref": "0x" + bytes(ref).hex(),
        "URI": uri,
    }
    return [
        f"{name} {proven[name]!r} (proven), the node said {said[name]!r}"
        for name in said
        if said[name] != proven[name]
    ]


def judge_covered(
    figures_uid: str, statement: OnchainAttestation, block: ProvenBlock, registry: str
) -> LogResult:
    """Whether `block` (the statement's) holds the `Covered` log of `statement` covering the figures."""
    uid = statement.uid.lower()
    fact = "Covered"
    if covered_log(figures_uid, statement, registry) in block.logs:
        return LogResult(uid, fact, block.number)
    return LogResult(
        uid, fact, block.number,
        f"block {block.number}'s receipts (proven) hold no Covered log of statement {uid} (org "
        f"#{statement.org_id}) covering {figures_uid.lower()}",
    )  # fmt: skip


def judge_revoked(uid: str, revocation: Revocation, block: ProvenBlock, registry: str) -> LogResult:
    """Whether `block` holds the `Revoked` log the node described (who, which organisation, why)."""
    fact = "Revoked"
    if revoked_log(uid, revocation, registry) in block.logs:
        return LogResult(uid.lower(), fact, block.number)
    return LogResult(
        uid.lower(), fact, block.number,
        f"block {block.number}'s receipts (proven) hold no Revoked log of {uid.lower()} by "
        f"{revocation.by} (org #{revocation.org_id}) with reason {revocation.reason!r}",
    )  # fmt: skip


def credit_claimed_log(claim: ClaimRecord, registry: str) -> Log:
    """The `CreditClaimed` log the registry emits for `claim` (units first..last of an issuance)."""
    topics = (event_topics().credit_claimed, _b32(claim.issuance_key), _b32(claim.statement_uid))
    return Log(_address(registry), topics, _word(claim.first) + _word(claim.last))


def neutrality_claimed_log(record: NeutralityRecord, registry: str) -> Log:
    """The `NeutralityClaimed` log the registry emits with a statement's credit claims."""
    topics = (
        event_topics().neutrality_claimed,
        _b32(record.statement_uid),
        _b32(record.figures_uid),
        _word(record.beneficiary_org_id),
    )
    data = _word(record.year) + _word(record.residual_tonnes) + _word(record.retired_tonnes)
    return Log(_address(registry), topics, data)


def judge_claim(claim: ClaimRecord, block: ProvenBlock, registry: str) -> LogResult:
    """Whether `block` holds, at `claim.log_index`, exactly the `CreditClaimed` log the node described."""
    uid, fact = claim.statement_uid.lower(), "CreditClaimed"
    expected = credit_claimed_log(claim, registry)
    if 0 <= claim.log_index < len(block.logs) and block.logs[claim.log_index] == expected:
        return LogResult(uid, fact, block.number)
    return LogResult(
        uid, fact, block.number,
        f"block {block.number}'s receipts (proven) hold no CreditClaimed log of statement {uid} for "
        f"units {claim.first}..{claim.last} of issuance {claim.issuance_key.lower()} at log index "
        f"{claim.log_index}",
    )  # fmt: skip


def judge_claims_of(
    statement_uid: str,
    claims: Sequence[ClaimRecord] | None,
    neutrality: NeutralityRecord | bool | None,
    block: ProvenBlock,
    registry: str,
) -> LogResult:
    """Whether the node's answers left out any of a statement's own credit logs: the registry emits
    every `CreditClaimed` and the `NeutralityClaimed` of a statement in the transaction that anchors
    it, so `block` (its `Attested` log's, proven) holds them all. `claims`: what the node gave of this
    statement's claims when all of them were asked for (None: they were not); `neutrality`: its
    neutrality claim as given when it was asked for (None: none given; False: not asked). A proven
    log the node did not give hid a claim: the verdict asked about it and was answered short."""
    uid = statement_uid.lower()
    me = _b32(uid)
    claimed, neutral = event_topics().credit_claimed, event_topics().neutrality_claimed
    address = _address(registry)
    left_out: list[str] = []
    if claims is not None:
        given = {c.log_index for c in claims if c.block_number == block.number}
        left_out += [
            f"a CreditClaimed log at log index {i}"
            for i, log in enumerate(block.logs)
            if log.address == address and len(log.topics) == 3 and log.topics[0] == claimed
            and log.topics[2] == me and i not in given
        ]  # fmt: skip
    if neutrality is None and any(
        log.address == address and len(log.topics) >= 2 and log.topics[0] == neutral and log.topics[1] == me
        for log in block.logs
    ):
        left_out.append("its NeutralityClaimed log")
    if not left_out:
        return LogResult(uid, "CreditClaimed", block.number)
    return LogResult(
        uid, "CreditClaimed", block.number,
        f"block {block.number}'s receipts (proven) hold {', '.join(left_out)} of statement {uid}, which "
        "the node's logs left out: a claim on credits hidden",
    )  # fmt: skip


def judge_neutrality(record: NeutralityRecord, block: ProvenBlock, registry: str) -> LogResult:
    """Whether `block` holds exactly the `NeutralityClaimed` log the node described."""
    uid, fact = record.statement_uid.lower(), "NeutralityClaimed"
    if neutrality_claimed_log(record, registry) in block.logs:
        return LogResult(uid, fact, block.number)
    return LogResult(
        uid, fact, block.number,
        f"block {block.number}'s receipts (proven) hold no NeutralityClaimed log of statement {uid} for "
        f"org #{record.beneficiary_org_id}'s {record.year} ({record.residual_tonnes} t residual, "
        f"{record.retired_tonnes} t retired)",
    )  # fmt: skip


def omitted(figures_uid: str, by_node: Mapping[str, Sequence[str]], verdict: Sequence[str]) -> list[str]:
    """Every covering statement one node's logs left out that another node's returned.

    `by_node`: each node asked and the statement uids of the `Covered` logs it returned for
    `figures_uid`; `verdict`: the statements the verdict was decided with (the first node's).
    A log cannot be forged past the receipts, but it can be left out: the verdict is only as
    complete as the union of every node's answer."""
    sets = {node: {s.lower() for s in uids} for node, uids in by_node.items()}
    union: dict[str, str] = {}
    for node, uids in sets.items():
        for s in sorted(uids):
            union.setdefault(s, node)
    lines = [
        f"node {node} left out statement {s} covering {figures_uid.lower()} that node {source} returned"
        for node, uids in sets.items()
        for s, source in union.items()
        if s not in uids
    ]
    used = {s.lower() for s in verdict}
    first = next(iter(sets), None)
    lines.extend(
        f"the verdict leaves out statement {s} covering {figures_uid.lower()} that node {source} returned"
        for s, source in union.items()
        if s not in used and (first is None or s in sets[first])
    )
    return lines
