"""Settle on one trusted block header from several independent nodes.

One node can say anything. The verifier asks several nodes (run by different consortium members)
for the block at one number and trusts its hash only if all of them, or `quorum` of them, vouch for
the same one; every fact of a verdict is then proven against that header's roots. A node vouches
for a hash only with a header that hashes to it: each node's header is recomputed
(`core.header.header_hash`), so a node that sends another hash, or header fields that do not hash
to the hash it sends, is a dissenter, named with what it said. With a checkpoint (a block number and
hash the verifier already trusts) the checkpoint's hash is the trusted one and the nodes only have
to produce a header that hashes to it.

The block: the checkpoint's, or `number`, or by default the newest block every node has with
`confirmations` confirmations (the project's count: 1 is the lowest head itself). Distinct URLs are
distinct votes; two URLs that reach the same node (a proxy, another host name for it) cannot be told
apart here, which is why the nodes must be chosen from independent operators.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from attest.chain.proving import claimed_hash, header_from_block
from attest.chain.rpc import DEFAULT_TIMEOUT, HttpRpc, NodeRefused
from attest.core.chain_family import ETHEREUM, ChainFamily
from attest.core.errors import ChainError, ChainUnreachable, InputError
from attest.core.header import BlockHeader, Checkpoint, NodeAnswer, TrustedHeader
from attest.core.proof_errors import MalformedProof, QuorumError


@dataclass(frozen=True)
class AgreedHash:
    """A block hash `agreed` nodes vouch for (or a checkpoint names), without a header believed:
    what a family whose headers cannot be checked here (FISCO BCOS) can settle on."""

    number: int
    hash: bytes
    agreed: tuple[str, ...]
    dissent: tuple[NodeAnswer, ...] = ()
    checkpoint: Checkpoint | None = None


def settle_header(
    urls: Sequence[str],
    *,
    quorum: int | None = None,
    confirmations: int = 1,
    number: int | None = None,
    checkpoint: Checkpoint | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    family: ChainFamily = ETHEREUM,
) -> TrustedHeader:
    """The header of one block whose hash `quorum` of the nodes at `urls` agree on (default: all of
    them; with a checkpoint: 1, the checkpoint's hash being the trusted one), each node's header
    checked to give the hash it names by `family`'s rule.

    Raises:
        InputError: no URL, a quorum outside 1..number of distinct URLs, confirmations < 1, or both
            a number and a checkpoint.
        QuorumError: fewer than `quorum` nodes vouch for one hash, or two hashes each have a quorum;
            the message names every node and what it said (a hash, unreachable, no such block, a
            header that does not hash to its hash).
        HeaderMismatch: `family` computes no block hash here (use `agree_on_hash`).
    """
    agreement, headers = _agree(urls, quorum, confirmations, number, checkpoint, timeout, family)
    return TrustedHeader(
        header=family.accept(headers[agreement.agreed[0]], agreement.hash),
        hash=agreement.hash,
        agreed=agreement.agreed,
        dissent=agreement.dissent,
        checkpoint=checkpoint,
    )


def agree_on_hash(
    urls: Sequence[str],
    *,
    quorum: int | None = None,
    confirmations: int = 1,
    checkpoint: Checkpoint | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    family: ChainFamily = ETHEREUM,
) -> AgreedHash:
    """The block hash `quorum` of the nodes report for one block, as `settle_header` settles it, but
    taking each node's hash as it names it when `family` computes none (its headers are not believed:
    nothing is proven against them)."""
    agreement, _ = _agree(urls, quorum, confirmations, None, checkpoint, timeout, family)
    return agreement


def _agree(
    urls: Sequence[str],
    quorum: int | None,
    confirmations: int,
    number: int | None,
    checkpoint: Checkpoint | None,
    timeout: float,
    family: ChainFamily,
) -> tuple[AgreedHash, dict[str, BlockHeader]]:
    nodes = list(dict.fromkeys(u.strip().rstrip("/") for u in urls))
    if not nodes:
        raise InputError("at least one node URL is needed", field="rpc")
    if confirmations < 1:
        raise InputError(f"confirmations must be at least 1, got {confirmations}", field="confirmations")
    if number is not None and checkpoint is not None:
        raise InputError("give a block number or a checkpoint, not both", field="checkpoint")
    needed = quorum if quorum is not None else (1 if checkpoint is not None else len(nodes))
    if not 1 <= needed <= len(nodes):
        raise InputError(f"quorum {needed} of {len(nodes)} distinct node(s) cannot be met", field="quorum")

    rpcs = {url: HttpRpc(url, timeout=timeout) for url in nodes}
    try:
        silent: dict[str, NodeAnswer] = {}
        if checkpoint is not None:
            target = checkpoint.number
        elif number is not None:
            target = number
        else:
            target = _confirmed_number(rpcs, confirmations, needed, silent)
        asked = [
            (silent[url], None) if url in silent else _ask(url, rpc, target, family)
            for url, rpc in rpcs.items()
        ]
        answers = [a for a, _ in asked]
        headers = {a.url: h for a, h in asked if h is not None}
        trusted = _trusted_hash(answers, needed, target, checkpoint)
        agreeing = [a for a in answers if a.hash == trusted]
        agreement = AgreedHash(
            target,
            trusted,
            tuple(a.url for a in agreeing),
            tuple(a for a in answers if a.hash != trusted),
            checkpoint,
        )
        return agreement, headers
    finally:
        for rpc in rpcs.values():
            rpc.close()


def _trusted_hash(
    answers: Sequence[NodeAnswer], needed: int, target: int, checkpoint: Checkpoint | None
) -> bytes:
    """The hash `needed` of the answers vouch for (the checkpoint's, with one), or QuorumError."""
    votes = Counter(a.hash for a in answers if a.hash is not None)
    if checkpoint is not None:
        if votes[checkpoint.hash] < needed:
            raise QuorumError(
                f"{_count(votes[checkpoint.hash], len(answers), needed)} serve the checkpoint's block "
                f"{checkpoint}: {_said(answers)}"
            )
        return checkpoint.hash
    ranked = votes.most_common()
    if not ranked or ranked[0][1] < needed:
        best = ranked[0][1] if ranked else 0
        raise QuorumError(
            f"the nodes do not agree on block {target}: {_said(answers)} "
            f"({_count(best, len(answers), needed)} on one hash)"
        )
    if len(ranked) > 1 and ranked[1][1] >= needed:
        raise QuorumError(f"the nodes split on block {target}, each side a quorum: {_said(answers)}")
    return ranked[0][0]


#: how far apart the nodes' heads may be (blocks) before one counts as stale
MAX_HEAD_SPREAD = 16


def _confirmed_number(
    rpcs: dict[str, HttpRpc], confirmations: int, needed: int, silent: dict[str, NodeAnswer]
) -> int:
    """The newest block with `confirmations` on every node that answers eth_blockNumber; a node that
    does not is recorded in `silent` (it then has no vote)."""
    heads: dict[str, int] = {}
    for url, rpc in rpcs.items():
        try:
            heads[url] = int(str(rpc.call("eth_blockNumber", [])), 16)
        except (ChainError, ValueError) as exc:
            silent[url] = NodeAnswer(url, None, _failure(exc, "eth_blockNumber"))
    if len(heads) < needed:
        raise QuorumError(
            f"{_count(len(heads), len(rpcs), needed)} answer eth_blockNumber: {_said(list(silent.values()))}"
        )
    lowest, highest = min(heads.values()), max(heads.values())
    if highest - lowest > MAX_HEAD_SPREAD:
        # the trusted block follows the lowest head: a node that reports an old head (stale, or
        # hiding a recent revocation) would pull it back before what the others have seen
        listed = "; ".join(f"{url}: head {head}" for url, head in heads.items())
        raise QuorumError(
            f"the nodes' heads are {highest - lowest} blocks apart ({listed}), more than "
            f"{MAX_HEAD_SPREAD}: a node is stale or hides recent blocks"
        )
    target = lowest - confirmations + 1
    if target < 0:
        raise QuorumError(f"no block has {confirmations} confirmations yet: the lowest head is {lowest}")
    return target


def _ask(url: str, rpc: HttpRpc, number: int, family: ChainFamily) -> tuple[NodeAnswer, BlockHeader | None]:
    """What `url` vouches for at `number`: the hash its header recomputes to by `family`'s rule, if
    it is the hash the node itself names for the block, with that header (None when it vouches for
    nothing); for a family whose hash is not computable here, the hash as the node names it."""
    try:
        block = rpc.call("eth_getBlockByNumber", [hex(number), False])
    except ChainError as exc:
        return NodeAnswer(url, None, _failure(exc, "eth_getBlockByNumber")), None
    if not isinstance(block, dict):
        return NodeAnswer(url, None, f"has no block {number}"), None
    try:
        claimed = claimed_hash(block)
        if family.block_hash is None:
            return NodeAnswer(url, claimed, f"0x{claimed.hex()} (as the node names it)"), None
        header = header_from_block(block)
    except MalformedProof as exc:
        return NodeAnswer(url, None, f"sent a malformed block ({exc.detail})"), None
    if header.number != number:
        return NodeAnswer(url, None, f"sent block {header.number} when asked for {number}"), None
    computed = family.block_hash(header)
    if computed != claimed:
        said = f"names hash 0x{claimed.hex()}, but its header fields hash to 0x{computed.hex()}"
        return NodeAnswer(url, None, said), None
    return NodeAnswer(url, computed, f"0x{computed.hex()}"), header


def _failure(exc: Exception, method: str) -> str:
    if isinstance(exc, ChainUnreachable):
        return "unreachable"
    if isinstance(exc, NodeRefused):
        return f"refused {method} ({exc.rpc_message})"
    return f"failed {method} ({exc})"


def _said(answers: Sequence[NodeAnswer]) -> str:
    return "; ".join(f"{a.url}: {a.said}" for a in answers)


def _count(have: int, of: int, needed: int) -> str:
    return f"{have} of {of} node(s) ({needed} required)"
