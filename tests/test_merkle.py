"""attest.core.merkle: OpenZeppelin StandardMerkleTree, cross-checked against the JS library itself."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attest.core.errors import InputError
from attest.core.merkle import (
    StandardMerkleTree,
    node_hash,
    process_proof,
    standard_leaf_hash,
    verify_proof,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
JS_LIB = REPO_ROOT / "node_modules" / "@openzeppelin" / "merkle-tree"
B32 = ["bytes32"]
MIXED = ["string", "string", "bytes", "bytes32"]

JS_SCRIPT = r"""
const { StandardMerkleTree } = require('@openzeppelin/merkle-tree');
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = cases.map(({ values, encoding }) => {
  const t = StandardMerkleTree.of(values, encoding);
  return {
    root: t.root,
    proofs: values.map((_, i) => t.getProof(i)),
    byValue: values.map(v => t.getProof(v)),
    dump: t.dump(),
    loaded: StandardMerkleTree.load(JSON.parse(JSON.stringify(t.dump()))).root,
  };
});
process.stdout.write(JSON.stringify(out));
"""


def h(i: int) -> str:
    return "0x" + hashlib.sha256(str(i).encode()).hexdigest()


def b32_values(n: int) -> list[list[Any]]:
    return [[h(i)] for i in range(n)]


def mixed_values(n: int) -> list[list[Any]]:
    return [
        [f"figure-{i}", "tCO2e ✓ ünïcode" if i % 2 else "", "0x" + bytes(range(i % 7)).hex(), h(i)]
        for i in range(n)
    ]


def run_js(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None or not JS_LIB.is_dir():
        pytest.fail("node or @openzeppelin/merkle-tree not installed (run `npm ci`)")
    done = subprocess.run(
        [node, "-e", JS_SCRIPT],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
        check=True,
    )
    result: list[dict[str, Any]] = json.loads(done.stdout)
    return result


SIZES = [1, 2, 3, 5, 100]


def test_matches_openzeppelin_js_library() -> None:
    cases = [{"values": b32_values(n), "encoding": B32} for n in SIZES]
    cases += [{"values": mixed_values(n), "encoding": MIXED} for n in SIZES]
    # duplicates: JS keeps both leaves; lookup by value proves the last one
    cases.append({"values": [*b32_values(3), [h(1)]], "encoding": B32})
    js = run_js(cases)
    for case, expected in zip(cases, js, strict=True):
        tree = StandardMerkleTree.of(case["values"], case["encoding"])
        assert tree.root == expected["root"] == expected["loaded"]
        assert [tree.get_proof(i) for i in range(len(tree))] == expected["proofs"]
        assert [tree.get_proof(v) for v in case["values"]] == expected["byValue"]
        assert tree.dump() == expected["dump"]
        # the JS dump loads in Python and yields the same tree
        assert StandardMerkleTree.load(expected["dump"]).dump() == expected["dump"]


def test_known_layout_three_leaves() -> None:
    values = b32_values(3)
    tree = StandardMerkleTree.of(values, B32)
    leaves = sorted(standard_leaf_hash(B32, v) for v in values)
    dump = tree.dump()
    # sorted leaves at the end of the array, in reverse order
    assert dump["tree"][2:] == ["0x" + x.hex() for x in reversed(leaves)]
    n1 = node_hash(leaves[1], leaves[0])  # node 1 = hash(tree[3], tree[4])
    assert tree.root == "0x" + node_hash(n1, leaves[2]).hex()  # root = hash(tree[1], tree[2])
    assert dump["format"] == "standard-v1" and dump["leafEncoding"] == B32


def test_single_leaf_tree_has_empty_proof() -> None:
    tree = StandardMerkleTree.of([[h(0)]], B32)
    assert tree.get_proof(0) == []
    assert tree.root == "0x" + standard_leaf_hash(B32, [h(0)]).hex()
    assert verify_proof(tree.root, B32, [h(0)], [])


def test_bytes_and_hex_values_hash_alike() -> None:
    raw = bytes.fromhex(h(5)[2:])
    assert standard_leaf_hash(B32, [raw]) == standard_leaf_hash(B32, [h(5)])
    tree = StandardMerkleTree.of([[raw]], B32)
    assert tree.dump()["values"][0]["value"] == [h(5)]


@pytest.mark.parametrize(
    ("values", "encoding"),
    [
        ([], B32),
        ([["0x1234"]], B32),  # too short for bytes32
        ([[h(0)[2:]]], B32),  # no 0x
        ([[h(0), h(1)]], B32),  # too many items
        (["0x" + "00" * 32], B32),  # a bare string, not a list
        ([[1]], ["string"]),
        ([["x"]], ["uint256"]),
        ([[-1]], ["uint8"]),
        ([[256]], ["uint8"]),
        ([[True]], ["uint256"]),
        ([["\ud800"]], ["string"]),
        ([[h(0)]], []),
        ([[h(0)]], ["bytes33"]),
        ([[h(0)]], ["nonsense"]),
        ([[h(0)]], "bytes32"),
    ],
)
def test_bad_values_are_input_errors(values: Any, encoding: Any) -> None:
    with pytest.raises(InputError):
        StandardMerkleTree.of(values, encoding)


def test_get_proof_errors() -> None:
    tree = StandardMerkleTree.of(b32_values(4), B32)
    for bad in (-1, 4, True):
        with pytest.raises(InputError):
            tree.get_proof(bad)
    with pytest.raises(InputError):
        tree.get_proof([h(99)])


def test_load_rejects_tampered_dumps() -> None:
    dump = StandardMerkleTree.of(b32_values(5), B32).dump()
    StandardMerkleTree.load(dump)
    bad_root = {**dump, "tree": ["0x" + "00" * 32, *dump["tree"][1:]]}
    bad_leaf = {**dump, "tree": [*dump["tree"][:-1], "0x" + "11" * 32]}
    bad_value = {**dump, "values": [{"value": [h(99)], "treeIndex": 8}, *dump["values"][1:]]}
    bad_index = {**dump, "values": [{"value": dump["values"][0]["value"], "treeIndex": 0}]}
    for bad in (
        bad_root,
        bad_leaf,
        bad_value,
        bad_index,
        {**dump, "format": "simple-v1"},
        {**dump, "tree": []},
        {**dump, "tree": dump["tree"][:-1]},
        {**dump, "values": []},
        {k: v for k, v in dump.items() if k != "leafEncoding"},
        [],
    ):
        with pytest.raises(InputError):
            StandardMerkleTree.load(bad)


def test_verify_method_and_process_proof() -> None:
    values = mixed_values(7)
    tree = StandardMerkleTree.of(values, MIXED)
    for i, v in enumerate(values):
        proof = tree.get_proof(i)
        assert tree.verify(i, proof) and tree.verify(v, proof)
        assert process_proof(tree.leaf_hash(v), proof).hex() == tree.root[2:]
    assert not tree.verify(values[0], tree.get_proof(1))


# ------------------------------------------------------------------ properties

digest = st.binary(min_size=32, max_size=32)
leaf_sets = st.lists(digest, min_size=1, max_size=40, unique=True)


@settings(max_examples=60, deadline=None)
@given(leaf_sets)
def test_every_proof_verifies(digests: list[bytes]) -> None:
    values = [[d] for d in digests]
    tree = StandardMerkleTree.of(values, B32)
    assert len(tree) == len(values)
    for i, v in enumerate(values):
        proof = tree.get_proof(i)
        assert proof == tree.get_proof(v)
        assert verify_proof(tree.root, B32, v, proof)
        assert len(proof) <= len(values).bit_length()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(leaf_sets, st.data())
def test_changed_value_or_tampered_proof_never_verifies(digests: list[bytes], data: st.DataObject) -> None:
    tree = StandardMerkleTree.of([[d] for d in digests], B32)
    i = data.draw(st.integers(0, len(digests) - 1))
    proof = tree.get_proof(i)
    other = data.draw(digest.filter(lambda d: d != digests[i]))
    assert not verify_proof(tree.root, B32, [other], proof)
    if proof:
        k = data.draw(st.integers(0, len(proof) - 1))
        flipped = bytearray.fromhex(proof[k][2:])
        bit = data.draw(st.integers(0, 255))
        flipped[bit // 8] ^= 1 << (bit % 8)
        tampered = [*proof[:k], "0x" + flipped.hex(), *proof[k + 1 :]]
        assert not verify_proof(tree.root, B32, [digests[i]], tampered)
        assert not verify_proof(tree.root, B32, [digests[i]], proof[:-1])
        assert not verify_proof(tree.root, B32, [digests[i]], [*proof, proof[-1]])


garbage = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=80) | st.binary(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=10,
)
hexish = st.sampled_from(["0x" + "ab" * 32, "ab" * 32, "0x" + "ab" * 31, b"\x01" * 32, "0x"])


@settings(max_examples=300, deadline=None)
@given(
    root=garbage | hexish,
    encoding=garbage | st.sampled_from([B32, MIXED, ["uint256"], ["address"]]),
    value=garbage | st.lists(garbage | hexish, max_size=4),
    proof=garbage | st.lists(garbage | hexish, max_size=3),
)
def test_verify_proof_on_garbage_is_false_or_input_error(
    root: Any, encoding: Any, value: Any, proof: Any
) -> None:
    try:
        result = verify_proof(root, encoding, value, proof)
    except InputError:
        return
    assert result is False or result is True
