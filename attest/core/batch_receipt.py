"""A batch member's receipt, checked without a chain: its Merkle path leads from its document's
digest to the root the batch attestation anchors (OpenZeppelin's StandardMerkleTree, one `bytes32`
leaf per document). Pure: `attest publish batch` writes these receipts (attest.app.batch), every way
of verifying checks them (attest.app.verify, attest.app.offline)."""

from __future__ import annotations

from attest.core.contracts import Kind
from attest.core.errors import InputError
from attest.core.merkle import verify_proof
from attest.core.receipt import Receipt
from attest.core.records import attestation_uid

#: How a batch's leaves are encoded, and the tree format its receipts name.
LEAF_ENCODING = ("bytes32",)
MERKLE_FORMAT = "openzeppelin-standard-merkle-tree/1"


def verify_batch_receipt(receipt: Receipt) -> bool:
    """Pure check of a batch receipt: its Merkle proof leads from its document digest to its root.

    Also checks what needs no chain: the leaf is exactly `[0x<document digest>]` as bytes32, the
    attestation is a batch one, and its uid is the registry's uid of (organisation, root). Whether
    that attestation exists, is unrevoked and was made by whom is for `verify` to ask the chain.
    """
    m = receipt.merkle
    if m is None or m.format != MERKLE_FORMAT or tuple(m.leaf_encoding) != LEAF_ENCODING:
        return False
    if len(m.value) != 1 or m.value[0].lower() != "0x" + receipt.document.digest:
        return False
    if receipt.attestation.kind != Kind.BATCH.label:
        return False
    try:
        if not verify_proof(m.root, LEAF_ENCODING, m.value, m.proof):
            return False
        root = bytes.fromhex(m.root.removeprefix("0x"))
        return receipt.attestation.uid.lower() == attestation_uid(receipt.attestation.org_id, root)
    except (InputError, ValueError):
        return False
