"""A node's malformed answers are chain errors, never tracebacks or verdicts.

The node is the audited party's (or fronted by it): whatever shape it answers in — a log list that
is no list, a log whose data is cut short, an `eth_call` answer that does not decode, a proof or a
block missing its fields, a quantity that is no number — `attest verify` (one file, and
`verify-many`, with `--require-proofs`) ends with exit 1 (a check caught it, or a proof it spoiled
left a line on the node's word) or exit 3 (a chain error, one `error:` line naming the node's
answer), and never 0, 4 (internal error) or a Python traceback. Each lie changes
only the shape of one method's answers, through a proxy (tests/lying_proxy.py) in front of a real
anvil; the same verification through an honest proxy passes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from lying_proxy import ForgingProxy, LyingProxy, run_attest, show
from worlds import World, anvil_world

pytestmark = pytest.mark.anvil


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("malformed")
    with anvil_world(root, statement="statement-2022.json") as w:
        yield w


def on(method: str, shape: Callable[[Any], Any]) -> Callable[[str, Any], Any]:
    """Every answer to `method` reshaped."""
    return lambda m, result: shape(result) if m == method else result


def first_log(change: Callable[[dict[str, Any]], Any]) -> Callable[[Any], Any]:
    return lambda logs: [change(logs[0]), *logs[1:]] if isinstance(logs, list) and logs else logs


MALFORMED: dict[str, Callable[[str, Any], Any]] = {
    "logs-not-a-list": on("eth_getLogs", lambda r: {"logs": r}),
    "logs-of-strings": on("eth_getLogs", lambda r: ["0xdead" for _ in r] or ["0xdead"]),
    "log-without-topics": on(
        "eth_getLogs", first_log(lambda log: {k: v for k, v in log.items() if k != "topics"})
    ),
    "log-data-cut-short": on("eth_getLogs", first_log(lambda log: {**log, "data": log["data"][:10]})),
    "log-topic-not-hex": on(
        "eth_getLogs", first_log(lambda log: {**log, "topics": ["0xzz", *log["topics"][1:]]})
    ),
    "call-undecodable": on("eth_call", lambda r: "0x1234"),
    "call-not-a-string": on("eth_call", lambda r: 12345),
    "call-null": on("eth_call", lambda r: None),
    "proof-empty": on("eth_getProof", lambda r: {}),
    "proof-nodes-not-a-list": on("eth_getProof", lambda r: {**r, "accountProof": "0x00"}),
    "block-null": on("eth_getBlockByNumber", lambda r: None),
    "block-without-fields": on("eth_getBlockByNumber", lambda r: {"number": r.get("number")} if r else r),
    "block-a-string": on("eth_getBlockByNumber", lambda r: "garbage"),
    "head-not-a-number": on("eth_blockNumber", lambda r: "0xzz"),
    "head-null": on("eth_blockNumber", lambda r: None),
    "chain-id-not-a-number": on("eth_chainId", lambda r: "zz"),
    "code-not-hex": on("eth_getCode", lambda r: "not hex"),
    "receipts-a-string": on("eth_getBlockReceipts", lambda r: "garbage"),
}


def through(w: World, lie: Callable[[str, Any], Any], *targets: Path, many: bool = False) -> Any:
    proxy = LyingProxy(w.node.rpc_url, lie)
    try:
        command = "verify-many" if many else "verify"
        # the malformed node first (it serves every read and proof), an honest one beside it to agree
        # on the trusted block; --require-proofs: an answer that only degrades a proof fails too
        nodes = ("--rpc-url", proxy.url, "--rpc-url", w.node.rpc_url, "--require-proofs")
        return run_attest(command, *map(str, targets), "-d", str(w.manifest), *nodes)
    finally:
        proxy.close()


def test_through_an_honest_proxy_both_verify(world: World) -> None:
    done = through(world, lambda m, r: r, world.figures, world.statement, many=True)
    assert done.returncode == 0, show(done)


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_a_malformed_answer_is_a_chain_error_or_a_failed_check(world: World, name: str) -> None:
    for done in (
        through(world, MALFORMED[name], world.statement),
        through(world, MALFORMED[name], world.figures, world.statement, many=True),
    ):
        assert "Traceback" not in done.stderr + done.stdout, show(done)
        assert "internal error" not in done.stderr, show(done)
        assert done.returncode in (1, 3), show(done)
        if done.returncode == 3:
            errors = [x for x in done.stderr.splitlines() if x.startswith("error:")]
            assert len(errors) == 1, show(done)


def test_org_is_resolved_from_the_proven_history_not_from_the_nodes_calls(world: World) -> None:
    """`--org NAME` was resolved by the node's `organisationCount()`/`getOrganisation` answers,
    which no proof checks: a node answering "no organisations" (or another id for the name) chose the
    attestation the verdict rests on. The name is now resolved from the governance history, whose
    names the proofs compare with storage; the node's calls are not asked (found by an adversarial
    review)."""
    from eth_utils import keccak

    count = "0x" + keccak(text="organisationCount()")[:4].hex()

    def no_members(call: dict[str, Any], result: Any) -> Any:
        data = str(call.get("params", [{}])[0].get("data", "")) if call.get("method") == "eth_call" else ""
        return "0x" + "00" * 32 if data.startswith(count) else result

    proxy = ForgingProxy(world.node.rpc_url, no_members)
    try:
        args = ["--rpc-url", proxy.url, "--org", "WeBank"]
        done = run_attest("verify", str(world.figures), "-d", str(world.manifest), *args)
    finally:
        proxy.close()
    assert done.returncode == 0, show(done)
