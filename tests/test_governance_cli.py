"""`attest member …` and `attest account list` through the real entry point, against a real anvil node.

One node and one deployment for the module (`gov`): a committee of three keystores with threshold 2,
deployed by `attest deploy`, then WeBank admitted by a proposal (member 1), a vote (member 2) and an
execution (member 3), all through the CLI. Later tests each admit or change their own organisation,
so they do not depend on each other's order.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from test_cli import FAKE_PDF, PASSWORD, assert_one_line_error, ok_json, run

from attest.devtools.node import AnvilNode, dev_private_keys

pytestmark = pytest.mark.anvil


@dataclass
class Gov:
    root: Path
    node: AnvilNode
    w3: Any
    manifest: Path
    keys: dict[str, Path]
    addr: dict[str, str]
    results: dict[str, subprocess.CompletedProcess[str]] = field(default_factory=dict)

    def attest(self, *args: str | Path, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return run(*args, cwd=self.root, env={"ATTEST_DEPLOYMENT": str(self.manifest)}, **kwargs)

    def as_(self, who: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
        return self.attest(*args, "--keystore", self.keys[who], "--json")

    def proposal_count(self) -> int:
        return len(ok_json(self.attest("member", "proposals", "--json")))

    def enact(self, *propose_args: str) -> dict[str, Any]:
        """Member 1 proposes, member 2 votes and executes: the 2-of-3 path in two commands."""
        proposed = ok_json(self.as_("c1", "member", "propose", *propose_args))
        assert proposed["executed"] is False and proposed["votes"] == 1
        done = ok_json(self.as_("c2", "member", "vote", str(proposed["proposal"]), "--execute"))
        assert done["executed"] is True, done
        return dict(done)

    def publish_file(self, who: str, name: str) -> subprocess.CompletedProcess[str]:
        path = self.root / name
        path.write_bytes(FAKE_PDF + name.encode())
        return self.as_(who, "publish", "file", path, "--year", "2022")

    def new_keystore(self, name: str) -> None:
        from attest.chain.connection import Chain
        from attest.chain.keystore import create_keystore

        self.keys[name] = self.root / f"{name}.keystore.json"
        self.addr[name] = create_keystore(self.keys[name], PASSWORD)
        Chain.connect(self.node.rpc_url).fund(self.addr[name], 10**20, funder_key=dev_private_keys(1)[0])


@pytest.fixture(scope="module")
def gov(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gov]:
    from web3 import Web3

    from attest.chain.keystore import create_keystore

    root = tmp_path_factory.mktemp("gov")
    node = AnvilNode(root / "node")
    node.start()
    try:
        keydir = root / "keys"
        keydir.mkdir()
        keys = {"c1": keydir / "c1.json"}
        addr = {"c1": create_keystore(keys["c1"], PASSWORD, private_key=dev_private_keys(1)[0])}
        g = Gov(
            root, node, Web3(Web3.HTTPProvider(node.rpc_url)), root / "deployments" / "anvil.json", keys, addr
        )
        for name in ("c2", "c3", "bank"):
            g.new_keystore(name)
        for name in ("c2", "c3"):
            (keydir / f"{name}.json").write_bytes(keys[name].read_bytes())
        committee = [a for n in ("c1", "c2", "c3") for a in ("--committee", addr[n])]
        g.results["deploy"] = run(
            "deploy", "--rpc-url", node.rpc_url, "--keystore", keys["c1"], "--network", "anvil",
            "--out", g.manifest, *committee, "--threshold", "2", "--json", cwd=root,
        )  # fmt: skip
        ok_json(g.results["deploy"])
        g.results["propose"] = g.as_(
            "c1", "member", "propose", "admit", "--name", "WeBank", "--country", "CN", "--kind", "bank",
            "--role", "publisher", "--account", addr["bank"],
        )  # fmt: skip
        g.results["vote"] = g.as_("c2", "member", "vote", "1")
        g.results["execute"] = g.as_("c3", "member", "execute", "1")
        yield g
    finally:
        node.stop()


def test_two_of_three_committee_admits_by_propose_vote_execute(gov: Gov) -> None:
    proposed = ok_json(gov.results["propose"])
    assert proposed["proposal"] == 1
    assert (proposed["votes"], proposed["threshold"], proposed["executed"]) == (1, 2, False)
    assert proposed["action"] == "admit"
    assert proposed["description"].startswith("admit 'WeBank' (country CN, kind bank) as PUBLISHER with 0x")
    voted = ok_json(gov.results["vote"])
    assert (voted["votes"], voted["executed"], voted["voted"]) == (2, False, gov.addr["c2"])
    executed = ok_json(gov.results["execute"])
    assert executed["executed"] is True and executed["org_id"] == 1
    orgs = ok_json(gov.attest("member", "list", "--json"))
    assert orgs[0]["name"] == "WeBank" and orgs[0]["roles"] == "publisher" and orgs[0]["active"] is True
    assert orgs[0]["accounts"] == [gov.addr["bank"]]
    listed = ok_json(gov.attest("member", "proposals", "--json"))
    assert listed[0]["status"] == "executed" and listed[0]["votes"] == 2
    assert listed[0]["args"]["roles"] == ["publisher"]


def test_executing_below_threshold_fails_with_not_enough_votes(gov: Gov) -> None:
    proposed = ok_json(gov.as_("c1", "member", "propose", "grant-roles", "WeBank", "--role", "verifier"))
    assert proposed["description"] == "grant VERIFIER to organisation #1 WeBank"
    result = gov.as_("c1", "member", "execute", str(proposed["proposal"]))
    assert_one_line_error(result, 3, "NotEnoughVotes", "votes=1", "threshold=2")
    still = ok_json(gov.attest("member", "proposals", "--status", "open", "--json"))
    assert proposed["proposal"] in [p["id"] for p in still]


def test_enough_votes_not_yet_executed_is_ready_and_still_open(gov: Gov) -> None:
    """The status is the contract's `state()`: "ready" once the votes suffice; `--status open` keeps it."""
    proposed = ok_json(gov.as_("c1", "member", "propose", "change-threshold", "2"))  # a no-op when executed
    pid = proposed["proposal"]
    ok_json(gov.as_("c2", "member", "vote", str(pid)))  # without --execute

    def ids(*status: str) -> dict[int, str]:
        listed = ok_json(gov.attest("member", "proposals", *status, "--json"))
        return {p["id"]: p["status"] for p in listed}

    assert ids()[pid] == "ready"
    ready, still_open = ids("--status", "ready"), ids("--status", "open")
    assert ready[pid] == still_open[pid] == "ready"
    assert set(ready.values()) == {"ready"} and set(still_open.values()) <= {"open", "ready"}
    human = gov.attest("member", "proposals", "--status", "ready")
    assert human.returncode == 0, human.stderr
    assert f"#{pid}  ready      2/2 votes  expires " in human.stdout

    ok_json(gov.as_("c3", "member", "execute", str(pid)))
    assert ids()[pid] == "executed"
    assert pid not in ids("--status", "ready") and pid not in ids("--status", "open")


def test_double_vote_is_already_voted(gov: Gov) -> None:
    proposed = ok_json(gov.as_("c1", "member", "propose", "change-threshold", "3"))
    result = gov.as_("c1", "member", "vote", str(proposed["proposal"]))
    assert_one_line_error(result, 3, "AlreadyVoted", gov.addr["c1"])


def test_non_member_cannot_propose_or_vote(gov: Gov) -> None:
    result = gov.as_("bank", "member", "vote", "1")
    assert_one_line_error(result, 3, "NotCommitteeMember", gov.addr["bank"])
    before = gov.proposal_count()
    result = gov.as_("bank", "member", "propose", "freeze", gov.addr["c1"])
    assert_one_line_error(result, 3, "NotCommitteeMember")
    assert gov.proposal_count() == before


def test_threshold_above_committee_size_is_refused_on_execution(gov: Gov) -> None:
    proposed = ok_json(gov.as_("c1", "member", "propose", "change-threshold", "4"))
    result = gov.as_("c2", "member", "vote", str(proposed["proposal"]), "--execute")
    assert_one_line_error(result, 3, "ThresholdOutOfRange", "threshold=4", "committeeSize=3")


def test_expired_proposal_cannot_be_voted_or_executed(gov: Gov) -> None:
    proposed = ok_json(gov.as_("c1", "member", "propose", "change-threshold", "1", "--expires-in", "60"))
    gov.w3.provider.make_request("evm_increaseTime", [120])
    gov.w3.provider.make_request("evm_mine", [])
    pid = str(proposed["proposal"])
    assert_one_line_error(gov.as_("c2", "member", "vote", pid), 3, "ProposalExpired")
    assert_one_line_error(gov.as_("c1", "member", "execute", pid), 3, "ProposalExpired")
    expired = ok_json(gov.attest("member", "proposals", "--status", "expired", "--json"))
    assert [p["id"] for p in expired] == [proposed["proposal"]]
    assert expired[0]["description"] == "change the committee threshold to 1"
    human = gov.attest("member", "proposals", "--status", "expired")
    assert human.returncode == 0, human.stderr
    assert f"#{pid}  expired    1/2 votes  expires " in human.stdout
    assert human.stdout.rstrip().endswith("change the committee threshold to 1")


def test_a_lifetime_beyond_30_days_is_exit_2_and_nothing_is_proposed(gov: Gov) -> None:
    before = gov.proposal_count()
    result = gov.as_("c1", "member", "propose", "change-threshold", "1", "--expires-in", "2592001")
    assert_one_line_error(result, 2, "--expires-in", "2592001", "30 days")
    assert gov.proposal_count() == before
    at_most = ok_json(gov.as_("c1", "member", "propose", "change-threshold", "2", "--expires-in", "2592000"))
    ok_json(gov.as_("c1", "member", "cancel", str(at_most["proposal"])))


def test_a_stale_proposal_is_void_after_the_threshold_changes(gov: Gov) -> None:
    """Case 5 of "Nothing on faith": one member's unfreeze proposal waits for a lower threshold. Any
    committee or threshold change voids it; `member proposals` says so and execution is refused."""
    gov.new_keystore("stolen")
    gov.enact("admit", "--name", "Stolen Key Bank", "--role", "publisher", "--account", gov.addr["stolen"])
    gov.enact("freeze", gov.addr["stolen"])
    stale = ok_json(gov.as_("c1", "member", "propose", "unfreeze", gov.addr["stolen"]))["proposal"]
    gov.enact("change-threshold", "2")  # even setting the same threshold starts a new committee epoch
    listed = {p["id"]: p for p in ok_json(gov.attest("member", "proposals", "--json"))}
    assert listed[stale]["status"] == "void"
    newer = ok_json(gov.as_("c1", "member", "propose", "change-threshold", "2"))["proposal"]
    assert (
        listed[stale]["epoch"] + 1 == ok_json(gov.attest("member", "proposals", "--json"))[newer - 1]["epoch"]
    )
    ok_json(gov.as_("c1", "member", "cancel", str(newer)))
    human = gov.attest("member", "proposals", "--status", "void")
    assert f"#{stale}  void       1/2 votes  expires " in human.stdout
    assert_one_line_error(
        gov.as_("c2", "member", "vote", str(stale)), 3, "ProposalVoid", f"proposalId={stale}"
    )
    assert_one_line_error(gov.as_("c1", "member", "execute", str(stale)), 3, "ProposalVoid")
    shown = ok_json(gov.attest("member", "show", "Stolen Key Bank", "--json"))
    assert shown["accounts"] == [{"address": gov.addr["stolen"], "frozen": True}]


def test_the_proposer_cancels_and_others_cannot(gov: Gov) -> None:
    proposed = ok_json(gov.as_("c1", "member", "propose", "change-threshold", "3"))
    pid = str(proposed["proposal"])
    assert_one_line_error(gov.as_("c2", "member", "cancel", pid), 3, "NotProposer", gov.addr["c1"])
    assert_one_line_error(gov.as_("bank", "member", "cancel", pid), 3, "NotCommitteeMember")
    cancelled = ok_json(gov.as_("c1", "member", "cancel", pid))
    assert cancelled["status"] == "cancelled" and cancelled["cancelled_by"] == gov.addr["c1"]
    human = gov.attest("member", "cancel", pid, "--keystore", gov.keys["c1"])
    assert_one_line_error(human, 3, "ProposalAlreadyCancelled")
    assert_one_line_error(gov.as_("c2", "member", "vote", pid), 3, "ProposalAlreadyCancelled")
    listed = ok_json(gov.attest("member", "proposals", "--status", "cancelled", "--json"))
    assert int(pid) in [p["id"] for p in listed] and {p["status"] for p in listed} == {"cancelled"}
    assert int(pid) not in [
        p["id"] for p in ok_json(gov.attest("member", "proposals", "--status", "open", "--json"))
    ]


def test_the_committee_cancels_by_vote(gov: Gov) -> None:
    target = ok_json(gov.as_("c1", "member", "propose", "change-threshold", "3"))["proposal"]
    done = gov.enact("cancel", str(target))  # proposed by c1, voted and executed by c2
    assert done["description"] == f"cancel proposal #{target}"
    listed = {p["id"]: p["status"] for p in ok_json(gov.attest("member", "proposals", "--json"))}
    assert listed[target] == "cancelled"


def test_a_taken_name_is_exit_2_and_nothing_is_proposed(gov: Gov) -> None:
    """Case 6 of "Nothing on faith": "WeBank " or "ＷeBank" would be a second WeBank."""
    before = gov.proposal_count()
    for name in ("WeBank", "WeBank ", "\uff37eBank", "WEBANK"):
        result = gov.as_("c1", "member", "propose", "admit", "--name", name, "--role", "publisher")
        assert_one_line_error(result, 2, "--name", "organisation #1 'WeBank'", "'webank'")
    assert gov.proposal_count() == before


def test_a_lookalike_name_is_proposed_with_a_warning(gov: Gov) -> None:
    fake = "WeB\u0430nk"  # Cyrillic а
    result = gov.as_("c1", "member", "propose", "admit", "--name", fake, "--role", "publisher")
    proposed = ok_json(result)  # stdout is still the JSON alone
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("warning: 'WeBаnk' looks like organisation #1 'WeBank'"), line
    assert proposed["votes"] == 1 and proposed["executed"] is False
    ok_json(gov.as_("c1", "member", "cancel", str(proposed["proposal"])))
    plain = gov.as_("c1", "member", "propose", "admit", "--name", "Plain New Bank", "--role", "publisher")
    assert ok_json(plain) and plain.stderr == ""
    ok_json(gov.as_("c1", "member", "cancel", str(ok_json(plain)["proposal"])))


def test_frozen_account_cannot_publish_until_unfrozen(gov: Gov) -> None:
    gov.new_keystore("green")
    admitted = gov.enact(
        "admit", "--name", "Green Bank", "--role", "publisher", "--account", gov.addr["green"]
    )
    froze = gov.enact("freeze", gov.addr["green"])
    assert froze["description"] == f"freeze account {gov.addr['green']}"
    shown = ok_json(gov.attest("member", "show", "Green Bank", "--json"))
    assert shown["accounts"] == [{"address": gov.addr["green"], "frozen": True}]
    assert_one_line_error(gov.publish_file("green", "green-a.pdf"), 3, "AccountIsFrozen", gov.addr["green"])
    gov.enact("unfreeze", gov.addr["green"])
    published = ok_json(gov.publish_file("green", "green-b.pdf"))
    assert published["org_id"] == admitted["org_id"]


def test_key_rotation_keeps_earlier_attestations_valid(gov: Gov) -> None:
    gov.new_keystore("old")
    gov.new_keystore("new")
    org = gov.enact("admit", "--name", "Rotating Bank", "--role", "publisher", "--account", gov.addr["old"])
    org_id = str(org["org_id"])
    first = ok_json(gov.publish_file("old", "rotating-2022.pdf"))
    added = gov.enact("add-account", "Rotating Bank", gov.addr["new"])
    assert (
        added["description"]
        == f"add signing account {gov.addr['new']} to organisation #{org_id} Rotating Bank"
    )
    removed = gov.enact("remove-account", gov.addr["old"])

    assert_one_line_error(gov.publish_file("old", "rotating-late.pdf"), 3, "NotMember", gov.addr["old"])
    ok_json(gov.publish_file("new", "rotating-2023.pdf"))

    result = gov.attest("verify", gov.root / "rotating-2022.pdf", "--org", org_id)
    assert result.returncode == 0, result.stdout + result.stderr
    line = next(x for x in result.stdout.splitlines() if "authorised" in x)
    assert f"at block {first['block_number']}" in line and "held the PUBLISHER role" in line
    assert f"today: account {gov.addr['old']} had been removed from organisation #" in line

    shown = ok_json(gov.attest("member", "show", org_id, "--json"))
    assert shown["accounts"] == [{"address": gov.addr["new"], "frozen": False}]
    history = [(h["event"], h["block"]) for h in shown["history"]]
    assert history == [
        ("OrganisationAdmitted", org["block"]),
        ("AccountAdded", org["block"]),
        ("AccountAdded", added["block"]),
        ("AccountRemoved", removed["block"]),
    ]


def test_member_show_human(gov: Gov) -> None:
    gov.new_keystore("vb")
    gov.enact(
        "admit", "--name", "Assurance Co", "--kind", "verification body", "--role", "verifier",
        "--accreditation-body", "CNAS", "--accreditation-number", "V-9", "--account", gov.addr["vb"],
    )  # fmt: skip
    gov.enact("grant-roles", "Assurance Co", "--role", "publisher")
    gov.enact("revoke-roles", "Assurance Co", "--role", "verifier")
    result = gov.attest("member", "show", "Assurance Co")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Assurance Co  (active)" in out
    assert "accreditation CNAS V-9" in out
    assert "roles         publisher" in out
    assert f"account       {gov.addr['vb']}" in out
    assert "admitted as VERIFIER" in out
    assert "granted publisher; roles now publisher+verifier" in out
    assert "revoked verifier; roles now publisher" in out
    gov.enact("remove-organisation", "Assurance Co")
    assert "(removed)" in gov.attest("member", "show", "Assurance Co").stdout


def test_committee_membership_changes(gov: Gov) -> None:
    gov.new_keystore("c4")
    gov.enact("add-committee-member", gov.addr["c4"])
    gov.enact("remove-committee-member", gov.addr["c4"])
    result = gov.as_("c4", "member", "propose", "change-threshold", "1")
    assert_one_line_error(result, 3, "NotCommitteeMember", gov.addr["c4"])


def test_committee_revokes_an_attestation(gov: Gov) -> None:
    published = ok_json(gov.publish_file("bank", "to-revoke.pdf"))
    uid = published["uid"]
    done = gov.enact("revoke-attestation", uid, "--reason", "compromised key")
    assert done["description"].startswith(f"revoke attestation {uid} in registry 0x")
    result = gov.attest("verify", gov.root / "to-revoke.pdf", "--org", "WeBank")
    assert result.returncode == 1
    assert "revoked by the committee" in result.stdout and "compromised key" in result.stdout


def test_bad_input_is_exit_2_and_nothing_is_proposed(gov: Gov) -> None:
    before = gov.proposal_count()
    assert_one_line_error(gov.as_("c1", "member", "propose", "freeze", "0x1234"), 2, "0x1234")
    result = gov.as_("c1", "member", "propose", "grant-roles", "No Such Bank", "--role", "publisher")
    assert_one_line_error(result, 2, "No Such Bank")
    assert_one_line_error(gov.as_("c1", "member", "propose", "remove-organisation", "99"), 2, "#99")
    result = gov.as_("c1", "member", "propose", "revoke-attestation", "0xabc", "--reason", "x")
    assert_one_line_error(result, 2, "uid")
    result = gov.as_(
        "c1", "member", "propose", "admit", "--name", "X", "--role", "publisher", "--documents-sha256", "zz"
    )
    assert_one_line_error(result, 2, "documents_digest")
    assert_one_line_error(gov.attest("member", "show", "42"), 2, "#42")
    result = gov.as_("c1", "member", "admit", "--name", "X", "--role", "publisher", "--account", "0xnope")
    assert_one_line_error(result, 2, "accounts", "0xnope")
    assert gov.proposal_count() == before


def test_account_list_reads_addresses_without_a_password(gov: Gov) -> None:
    (gov.root / "keys" / "notes.json").write_text(json.dumps({"not": "a keystore"}), encoding="utf-8")
    rows = ok_json(run("account", "list", gov.root / "keys", "--json", cwd=gov.root, password=None))
    assert rows == [
        {"keystore": str(gov.root / "keys" / f"{n}.json"), "address": gov.addr[n]} for n in ("c1", "c2", "c3")
    ]
    human = run("account", "list", cwd=gov.root / "keys", password=None)
    assert human.returncode == 0 and gov.addr["c2"] in human.stdout
    assert_one_line_error(run("account", "list", gov.root / "nope", cwd=gov.root, password=None), 2, "nope")
