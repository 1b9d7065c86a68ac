"""Review 7 attack on `attest history --neutrality`: the honest second party's node limits eth_getLogs.

Every completeness question of the history (`LogProver.logs_complete`: the organisation's Attested
and NeutralityClaimed logs, each row's Covered logs) is ONE eth_getLogs from the registry's deploy
block to "latest". A node that refuses that range — as public and consortium nodes commonly do
past a few thousand blocks — is only recorded as "silent" and named in `complete_as`; the rows are
then complete as the reading node's logs alone, the bank's, and --require-proofs still passes them.

The honest chain: WeBank's 2022 figures covered by the verifier's met statement S1, then a second
live statement S2 by the same verifier on the same figures whose claim is NOT met (1900 t retired
of 6860 t). Through the honest node the row follows S2: 2022 is not met, nor is the commitment.

The setup: the auditor asks the bank's node (first --rpc-url) and an honest second party's node,
which refuses eth_getLogs spanning more than 10 blocks (an ordinary provider limit), with
--require-proofs. The lie: the bank's node leaves every log of S2's transaction out of its
eth_getLogs answers. The second node's refusals make it silent; nothing compares the bank's logs
with anyone's; the row follows S1, whose own verification is genuinely proven: "met": true, exit 0.

Correct outcome: never "met": true when no node but the reading node answered the completeness
questions under --require-proofs (or: ask in ranges the node accepts). The row must be unmet (the
completeness rests on the bank's node alone) or the run must fail.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from history_attacks import publish_unmet_statement
from lying_proxy import ForgingProxy, run_attest, show
from rpc_proxy import ProxyServer
from worlds import World, anvil_world

pytestmark = pytest.mark.anvil

LIMIT = 10  # blocks one eth_getLogs may span at the second party's node


class RangeLimited(ProxyServer):
    """An honest node that refuses eth_getLogs over more than LIMIT blocks (as providers do)."""

    def handle(self, body: bytes) -> bytes | None:
        request = json.loads(body)
        calls = request if isinstance(request, list) else [request]
        ask = {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []}
        head = int(requests.post(self.upstream, json=ask, timeout=30).json()["result"], 16)

        def number(tag: Any, default: int) -> int:
            if tag in (None, "latest", "safe", "finalized", "pending"):
                return head if tag is not None else default
            return 0 if tag == "earliest" else int(str(tag), 16)

        refused = {}
        for c in calls:
            if c.get("method") == "eth_getLogs":
                q = (c.get("params") or [{}])[0]
                span = number(q.get("toBlock"), head) - number(q.get("fromBlock"), head)
                if "blockHash" not in q and span > LIMIT:
                    refused[c.get("id")] = {
                        "jsonrpc": "2.0", "id": c.get("id"),
                        "error": {"code": -32005, "message": f"query exceeds max block range {LIMIT}"},
                    }  # fmt: skip
        if not refused:
            return self.forward(body)
        answers = []
        for c in calls:
            if c.get("id") in refused:
                answers.append(refused[c.get("id")])
            else:
                one = requests.post(self.upstream, json=c, timeout=30).json()
                answers.append(one)
        return json.dumps(answers if isinstance(request, list) else answers[0]).encode()


_second_statement = publish_unmet_statement


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("review7-silent-second")
    with anvil_world(root, statement="statement.json", setup=_second_statement) as w:
        yield w


def _history(first: str, second: str, w: World) -> Any:
    return run_attest(
        "history", "--org", "WeBank", "--neutrality", "-d", str(w.manifest), "--json",
        "--rpc-url", first, "--rpc-url", second, "--require-proofs",
    )  # fmt: skip


def test_a_second_node_with_a_log_range_limit_leaves_the_history_on_the_banks_logs(world: World) -> None:
    assert world.chain.head() - world.c.dep.manifest.registry.block_number > LIMIT
    second = RangeLimited(world.rpc_url)
    tx = world.second_tx

    def forge(call: dict[str, Any], result: Any) -> Any:
        if call.get("method") == "eth_getLogs" and isinstance(result, list):
            return [log for log in result if str(log.get("transactionHash", "")).lower() != tx]
        return result

    bank = ForgingProxy(world.rpc_url, forge)
    try:
        honest = _history(world.rpc_url, second.url, world)
        lied = _history(bank.url, second.url, world)
    finally:
        bank.close()
        second.close()
    assert honest.returncode == 0, show(honest)
    data = json.loads(honest.stdout)
    [row] = data["years"]
    assert row["statement"]["uid"].lower() == world.second_uid, row
    assert data["met"] is False, data
    if lied.returncode == 0:
        data = json.loads(lied.stdout)
        [row] = data["years"]
        assert data["met"] is False, (
            f"with the second node silent on eth_getLogs, the bank's node made 2022 met on statement "
            f"{row['statement']['uid']} (honestly {world.second_uid}, not met): {show(lied)}"
        )
    else:
        assert lied.returncode == 3, show(lied)
