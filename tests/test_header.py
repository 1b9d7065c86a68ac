"""Block headers: the recomputed hash of every block equals its hash, on the embedded chain and on
anvil at each hardfork whose header fields differ; one changed, added or dropped field breaks it."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import pytest
from anvil_fork import bare_anvil
from conftest import Consortium
from eth_account import Account

from attest.chain.connection import Chain
from attest.chain.proving import block_header, claimed_hash, header_from_block
from attest.core.chain_family import BESU_BFT, ETHEREUM
from attest.core.errors import InputError
from attest.core.header import (
    HEADER_FIELDS,
    BlockHeader,
    Checkpoint,
    FieldKind,
    encode_header,
    header_hash,
    parse_checkpoint,
)
from attest.core.proof_errors import HeaderMismatch, MalformedProof
from attest.devtools.node import dev_private_keys

#: The fork fields the mined blocks of each anvil hardfork carry (its genesis block before Cancun
#: also carries, and hashes, the two blob-gas fields: "encode what is present" covers that too).
FORK_FIELDS = {
    "berlin": [],
    "london": ["baseFeePerGas"],
    "shanghai": ["baseFeePerGas", "withdrawalsRoot"],
    "cancun": ["baseFeePerGas", "withdrawalsRoot", "blobGasUsed", "excessBlobGas", "parentBeaconBlockRoot"],
    "prague": [
        "baseFeePerGas",
        "withdrawalsRoot",
        "blobGasUsed",
        "excessBlobGas",
        "parentBeaconBlockRoot",
        "requestsHash",
    ],
}


def fork_fields(header: BlockHeader) -> list[str]:
    return [f.rpc_name for f in HEADER_FIELDS[15:] if getattr(header, f.attr) is not None]


def some_blocks(chain: Chain, funder_key: str | None = None, n: int = 3) -> None:
    """A few blocks with a transaction each (value transfers to fresh accounts)."""
    for _ in range(n):
        chain.fund(Account.create().address, 10**18, funder_key=funder_key)


def test_embedded_chain_headers_hash_to_their_block_hash(consortium: Consortium) -> None:
    chain = consortium.chain
    head = chain.head()
    assert head > 10  # the deployment and the votes: blocks with contract creations and logs
    for n in range(head + 1):
        header, claimed = block_header(chain, n)
        assert claimed == bytes.fromhex(chain.block_hash(n)[2:])
        assert header_hash(header) == claimed, n
        assert ETHEREUM.accept(header, claimed) is header
    assert fork_fields(header) == FORK_FIELDS["prague"]  # eth-tester 0.14 on py-evm: Prague
    # eth-tester pads extraData to 32 bytes in its answers: as sent, the header does not hash
    as_sent = header_from_block(chain.block(head))
    assert as_sent.extra_data == b"\x00" * 32 and header.extra_data == b""
    with pytest.raises(HeaderMismatch):
        ETHEREUM.accept(as_sent, claimed)


@pytest.mark.anvil
@pytest.mark.parametrize("hardfork", list(FORK_FIELDS))
def test_anvil_headers_hash_to_their_block_hash_at_each_hardfork(hardfork: str) -> None:
    with bare_anvil("--hardfork", hardfork) as url:
        chain = Chain.connect(url)
        some_blocks(chain, dev_private_keys(1)[0])
        for n in range(chain.head() + 1):
            raw_header, raw_hash = block_header(url, n)  # raw JSON-RPC: hex strings
            web3_block = chain.w3.eth.get_block(
                n
            )  # web3: ints, HexBytes, extraData renamed by the POA middleware
            assert "proofOfAuthorityData" in web3_block
            assert header_from_block(web3_block) == raw_header
            assert raw_hash == bytes(web3_block["hash"])
            assert header_hash(raw_header) == raw_hash, (hardfork, n)
        assert fork_fields(raw_header) == FORK_FIELDS[hardfork]


@pytest.mark.anvil
def test_the_project_anvil_headers_hash_to_their_block_hash(anvil_consortium: Consortium) -> None:
    """The node the tests and `attest node start` run (anvil 1.7.1's default hardfork)."""
    url = anvil_consortium.chain.name
    for n in range(anvil_consortium.chain.head() + 1):
        header, claimed = block_header(url, n)
        assert ETHEREUM.accept(header, claimed) is header
    assert fork_fields(header) == FORK_FIELDS["prague"]


def changed(value: int | bytes) -> int | bytes:
    """`value` with its last bit flipped (a byte string stays as long)."""
    if isinstance(value, int):
        return value ^ 1
    return value[:-1] + bytes([value[-1] ^ 1]) if value else b"\x01"


def test_any_one_changed_field_breaks_the_hash(consortium: Consortium) -> None:
    header, agreed = block_header(consortium.chain, "latest")
    assert header_hash(header) == agreed
    attrs = [f.attr for f in HEADER_FIELDS]
    assert len(attrs) == 21 and all(getattr(header, a) is not None for a in attrs)
    for attr in attrs:
        forged = header.replace(**{attr: changed(getattr(header, attr))})
        assert header_hash(forged) != agreed, attr
        with pytest.raises(HeaderMismatch, match=f"block {forged.number}: the header fields hash to"):
            ETHEREUM.accept(forged, agreed)
    # a fork field left out or added changes the field list, hence the hash
    for attr in attrs[15:]:
        with pytest.raises(HeaderMismatch):
            ETHEREUM.accept(header.replace(**{attr: None}), agreed)
    cancun = header.replace(requests_hash=None)
    with pytest.raises(HeaderMismatch):
        ETHEREUM.accept(cancun.replace(requests_hash=b"\x00" * 32), header_hash(cancun))


@pytest.mark.anvil
def test_a_forged_root_in_an_answer_is_refused(anvil_consortium: Consortium) -> None:
    """The attack: a node answers the agreed block with its own stateRoot (and the real hash)."""
    block = dict(anvil_consortium.chain.block("latest"))
    ETHEREUM.accept(header_from_block(block), claimed_hash(block))
    block["stateRoot"] = b"\x11" * 32
    with pytest.raises(HeaderMismatch, match="not to the agreed block hash"):
        ETHEREUM.accept(header_from_block(block), claimed_hash(block))


def test_malformed_answers_are_named() -> None:
    good: dict[str, Any] = {f.rpc_name: "0x" + "00" * (f.length or 1) for f in HEADER_FIELDS[:15]}
    good["number"] = "0x5"
    header_from_block(good)
    with pytest.raises(MalformedProof, match="block 5: the answer has no 'stateRoot'"):
        header_from_block({k: v for k, v in good.items() if k != "stateRoot"})
    with pytest.raises(MalformedProof, match="field 'stateRoot' has 31 bytes, not 32"):
        header_from_block({**good, "stateRoot": "0x" + "00" * 31})
    with pytest.raises(MalformedProof, match="field 'gasUsed' is not a hex quantity"):
        header_from_block({**good, "gasUsed": "12"})
    with pytest.raises(MalformedProof, match="field 'miner' is not hex data"):
        header_from_block({**good, "miner": "0xzz"})
    kinds = {f.attr: f.kind for f in HEADER_FIELDS}
    assert {f.name for f in fields(BlockHeader)} == set(kinds)
    assert kinds["timestamp"] is FieldKind.INT and kinds["extra_data"] is FieldKind.BYTES


def test_checkpoint_parsing() -> None:
    h = "ab" * 32
    assert parse_checkpoint(f"12:0x{h}") == Checkpoint(12, bytes.fromhex(h))
    assert str(parse_checkpoint(f" 12:0x{h} ")) == f"12:0x{h}"
    for bad in (f"0x{h}", f"-1:0x{h}", f"1e3:0x{h}", f"12:{h}", f"12:0x{h[:-2]}", f"12:0x{h[:-1]}z", "12:"):
        with pytest.raises(InputError, match="field 'checkpoint'"):
            parse_checkpoint(bad)


def bft_block(header: BlockHeader, *, qbft: bool, round_: int = 2) -> tuple[BlockHeader, bytes]:
    """`header` made a Besu BFT block (constructed here, from Besu's codecs: no Besu node runs here):
    extraData rlp([vanity, validators, vote, round, seals]) — IBFT 2.0 writes no vote as an empty
    string and the round as 4 bytes, QBFT an empty list and a scalar — and the hash Besu gives it,
    over the header with extraData cut to rlp([vanity, validators, vote])."""
    import rlp
    from eth_utils import keccak

    vanity, validators = b"\x00" * 32, [b"\x11" * 20, b"\x22" * 20, b"\x33" * 20]
    vote: Any = [] if qbft else b""
    round_field = round_ if qbft else round_.to_bytes(4, "big")
    seals = [bytes([i]) * 65 for i in (1, 2, 3)]
    full = header.replace(extra_data=rlp.encode([vanity, validators, vote, round_field, seals]))
    hashed = header.replace(extra_data=rlp.encode([vanity, validators, vote]))
    return full, bytes(keccak(encode_header(hashed)))


@pytest.mark.parametrize("qbft", [False, True], ids=["ibft2", "qbft"])
def test_a_besu_bft_header_is_accepted_by_its_on_chain_hash(consortium: Consortium, qbft: bool) -> None:
    header, _ = block_header(consortium.chain, "latest")
    block, agreed = bft_block(header, qbft=qbft)
    assert header_hash(block) != agreed  # the plain rule does not give a BFT block's hash
    with pytest.raises(HeaderMismatch, match='the manifest must say "family": "besu-bft"'):
        ETHEREUM.accept(block, agreed)  # an Ethereum-style manifest does not take it, and says why
    assert BESU_BFT.accept(block, agreed).state_root == header.state_root
    other_round, _ = bft_block(header, qbft=qbft, round_=7)  # another round and seals: the same block
    BESU_BFT.accept(other_round, agreed)
    for attr in ("state_root", "receipts_root", "number"):  # what the verifier reads stays bound
        with pytest.raises(HeaderMismatch):
            BESU_BFT.accept(block.replace(**{attr: changed(getattr(block, attr))}), agreed)
    with pytest.raises(HeaderMismatch):  # another validator set is another block
        import rlp

        items = rlp.decode(block.extra_data)
        items[1] = items[1][:2]
        BESU_BFT.accept(block.replace(extra_data=rlp.encode(items)), agreed)


def test_extra_data_that_is_not_bft_is_not_cut(consortium: Consortium) -> None:
    from attest.core.header import bft_hashed_extra

    assert bft_hashed_extra(b"") is None and bft_hashed_extra(b"anvil vanity") is None
    assert bft_hashed_extra(b"\xc3\x80\x80\x80") is None  # a list, but no 32-byte vanity
