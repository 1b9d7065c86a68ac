"""Chain families: what kind of chain a deployment manifest describes, and what can be proven on it.

A verifier believes a block only through its hash: a header is accepted when its fields hash to the
hash the nodes agree on (or a checkpoint names), and every proof is then checked against that
header's roots. How a block hash is computed, and whether the chain serves the proofs, depends on
the chain's family — one unit per family, named by the manifest's `family` (an old manifest without
it reads as `ethereum`):

- `ethereum` — an Ethereum-style chain (anvil, geth, a London+ Hyperledger Besu on a PoA or PoS
  network): the hash is keccak256 of the RLP header (`core.header.header_hash`); EIP-1186
  `eth_getProof` proves storage against the stateRoot and a block's receipts trie its logs. Tested
  on anvil.
- `besu-bft` — Hyperledger Besu with IBFT 2.0 or QBFT: the hash is taken over the header with its
  extraData cut to ``rlp([vanity, validators, vote])`` (the round and the commit seals differ between
  copies of a block); proofs as on Ethereum. Written from Besu's source and documentation
  (BftBlockHashing, the IBFT 2.0 and QBFT extra-data codecs), tested on constructed headers only: no
  Besu node runs here.
- `fisco-bcos` — FISCO BCOS 3.x: its header is another structure hashed by another function (not
  computable here), and no release from 3.9.0 to 3.16.4 serves `eth_getProof` (and `eth_getStorageAt`
  ignores its block number). Nothing is proven: the nodes are compared by the block hashes they
  report, and every state fact is the node's word — said in the report, failed by
  `--require-proofs`. Written from FISCO BCOS's documentation and source; untested here.

To add a family: one `ChainFamily` below and its entry in `FAMILIES`; `core.manifest` accepts its
name, and the quorum, the prover and the receipts' proofs ask it what they may do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from attest.core.header import BlockHeader, bft_hashed_extra, header_hash
from attest.core.proof_errors import HeaderMismatch


@dataclass(frozen=True)
class ChainFamily:
    """One family of chains: how its block hash is computed and which facts can be proven on it."""

    name: str
    title: str
    #: The block hash a header's fields give (None: not computable here, so no header is believed).
    block_hash: Callable[[BlockHeader], bytes] | None
    #: Whether storage can be proven (EIP-1186 eth_getProof against the header's stateRoot) and logs
    #: (a block's receipts trie against its receiptsRoot).
    proves_state: bool
    proves_logs: bool
    #: Why nothing can be proven on it, for the report (None when proofs are served).
    unproven: str | None = None
    tested: bool = True

    def accept(self, header: BlockHeader, agreed_hash: bytes) -> BlockHeader:
        """`header`, if its fields give `agreed_hash` by this family's rule; else HeaderMismatch."""
        if self.block_hash is None:
            raise HeaderMismatch(
                f"block {header.number}: a {self.title} header cannot be checked against its hash here"
            )
        got = self.block_hash(header)
        if got != agreed_hash:
            raise HeaderMismatch(
                f"block {header.number}: the header fields hash to 0x{got.hex()} by the {self.title} rule, "
                f"not to the agreed block hash 0x{agreed_hash.hex()}"
                + (HINT if self.name == "ethereum" and bft_hashed_extra(header.extra_data) else "")
            )
        return header


#: Said when an Ethereum-style manifest meets what looks like a Besu BFT header.
HINT = (
    " (its extraData is Besu IBFT 2.0 / QBFT data: if this is such a chain, the manifest must say "
    '"family": "besu-bft")'
)


def _bft_hash(header: BlockHeader) -> bytes:
    cut = bft_hashed_extra(header.extra_data)
    return header_hash(header if cut is None else header.replace(extra_data=cut))


ETHEREUM = ChainFamily("ethereum", "Ethereum-style", header_hash, proves_state=True, proves_logs=True)
BESU_BFT = ChainFamily(
    "besu-bft",
    "Hyperledger Besu IBFT 2.0 / QBFT",
    _bft_hash,
    proves_state=True,
    proves_logs=True,
    tested=False,
)
FISCO_BCOS = ChainFamily(
    "fisco-bcos",
    "FISCO BCOS 3.x",
    None,
    proves_state=False,
    proves_logs=False,
    unproven=(
        "FISCO BCOS serves no eth_getProof (3.9.0-3.16.4) and its block hash is not computable here: "
        "every state fact is the node's word"
    ),
    tested=False,
)

FAMILIES: dict[str, ChainFamily] = {f.name: f for f in (ETHEREUM, BESU_BFT, FISCO_BCOS)}
DEFAULT_FAMILY = ETHEREUM.name


def family(name: str) -> ChainFamily:
    """The family a manifest names (validated there: an unknown name never gets this far)."""
    return FAMILIES[name]
