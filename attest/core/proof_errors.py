"""Errors of proven verification: a node's answer that does not prove what it claims.

Today a verdict takes each chain fact on the word of one JSON-RPC endpoint. Proven verification
checks every answer against a block header that independent nodes agree on (`attest.chain.quorum`)
and against the roots in that header (`core.header`, `core.proofs`, `core.receipt_trie`). When a
check fails the node lied, or serves another chain: the fact cannot be used, whatever it says, so
these are chain errors (exit 3) rather than a "not verified" verdict about the document.

To be merged into `attest.core.errors` (the hierarchy's one home) when proven verification is wired
into `verify`; until then they live here so that module stays untouched.
"""

from __future__ import annotations

from attest.core.errors import ChainError


class ProofError(ChainError):
    """A node's answer fails a cryptographic check against a trusted hash or root (exit 3)."""


class MalformedProof(ProofError):
    """An answer that cannot be a proof at all: bytes that are no RLP or no trie node, a hash field
    of the wrong length, an account record that is no 4-item list."""


class HeaderMismatch(ProofError):
    """The header fields a node sent do not hash (keccak256 of their RLP list) to the agreed hash:
    a state or receipts root taken from them would be the node's invention."""


class ProofRootMismatch(ProofError):
    """A Merkle-Patricia proof does not lead to the trusted root: its first node is not the root
    (a proof against another block's state, or forged nodes)."""


class ProofIncomplete(ProofRootMismatch):
    """The path of the asked key leaves the proof: a node it needs is missing (a truncated proof,
    or the nodes of another key's proof sent under this key)."""


class ProofKeyMismatch(ProofError):
    """The answer is for another key than asked: another address, another storage slot, or no
    proof at all for a slot that was asked."""


class ProofValueMismatch(ProofError):
    """The value a node claims (a balance, a code hash, a storage word) differs from the value the
    proof holds under the trusted root."""


class ReceiptsRootMismatch(ProofError):
    """A block's receipts, rebuilt into the receipts trie, do not give the header's receiptsRoot:
    a log was changed, added, left out or moved."""


class QuorumError(ChainError):
    """The nodes asked do not agree on one block hash (or not enough of them answer, or none serves
    the checkpoint's block): the message names every node and what it said (exit 3)."""
