"""Every signing path of the command line and the scripts with keys held in an HSM (SoftHSM2),
through the real `attest` entry point against a real anvil node.

One node, one SoftHSM2 token of the module's own (tests/softhsm.py) and one deployment are shared
(`net`): the committee's two keys, the bank's, the verifier's and a relayer's are generated in the
token by `attest account new --signer`; the first committee key deploys, and organisations are
admitted by propose / vote / execute with both. The tests then publish figures and a batch, sign a
statement off-line and relay it, revoke, resume a killed `publish_many.py` from its journal, and
check that a wrong PIN, a locked PIN, a missing key, a key on another curve and bad usage are each
one line with their exit code, with nothing sent.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from rpc_proxy import RpcProxy
from softhsm import P256, USER_PIN, SoftHsm, uri
from worlds import run_attest

from attest.chain.anchoring import WINDOW
from attest.chain.connection import Chain
from attest.chain.deployment import Deployment
from attest.core.manifest import load_manifest
from attest.core.sidefiles import receipt_path
from attest.devtools.node import AnvilNode, dev_private_keys

pytestmark = pytest.mark.anvil

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = REPO_ROOT / "examples"
FIGURES = EXAMPLES / "webank-2022-figures.json"
STATEMENT = EXAMPLES / "illustrative-carbon-verification-2022.json"
VERIFIER_NAME = "Example Carbon Verification Body (illustrative)"
PUBLISH_MANY = REPO_ROOT / "scripts" / "publish_many.py"
TOKEN = "bank-hsm"
TIMEOUT = 120
KEYS = ("committee-1", "committee-2", "bank", "verifier", "relayer")


@dataclass
class Net:
    root: Path
    node: AnvilNode
    hsm: SoftHsm
    manifest: Path = field(default=Path())
    address: dict[str, str] = field(default_factory=dict)
    results: dict[str, subprocess.CompletedProcess[str]] = field(default_factory=dict)

    def env(self, pin: str | None = USER_PIN, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ATTEST_", "SOFTHSM"))}
        env.update(self.hsm.env(pin))
        if self.manifest != Path():
            env["ATTEST_DEPLOYMENT"] = str(self.manifest)
        env.update(extra)
        return env

    def attest(
        self, *args: str | Path, pin: str | None = USER_PIN, **extra: str
    ) -> subprocess.CompletedProcess[str]:
        return run_attest(*args, cwd=self.root, env=self.env(pin, **extra), inherit=False, timeout=TIMEOUT)

    def deployment(self) -> Deployment:
        return Deployment.open(self.manifest)

    def sender(self, tx_hash: str) -> str:
        return str(self.deployment().chain.w3.eth.get_transaction(tx_hash)["from"])  # type: ignore[arg-type]

    def nonces(self) -> dict[str, int]:
        chain = Chain.connect(self.node.rpc_url)
        return {name: chain.nonce(a, "pending") for name, a in self.address.items()}

    def workdir(self, name: str) -> Path:
        d = self.root / name
        d.mkdir()
        return d


def ok(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, (
        f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    )
    assert USER_PIN not in result.stdout + result.stderr
    return json.loads(result.stdout) if result.stdout.lstrip().startswith(("{", "[")) else result.stdout


def one_line(result: subprocess.CompletedProcess[str], code: int, *needles: str) -> str:
    assert result.returncode == code, (
        f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    )
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not in {lines[0]!r}"
    print(f"exit {result.returncode}: {lines[0]}")  # shown with -s: what the user reads
    return lines[0]


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    root = tmp_path_factory.mktemp("hsm")
    hsm = SoftHsm(root / "softhsm")
    hsm.init_token(TOKEN)
    # interval blocks, as a consortium chain mines (and as the crash tests run anvil)
    node = AnvilNode(root / "node", block_time=0.2)
    node.start()
    try:
        n = Net(root, node, hsm)
        pin_file = root / "pin.txt"
        pin_file.write_text(USER_PIN + "\n")
        for name in KEYS:  # generated in the token; the first with the PIN from a file
            by_file = ("--pin-file", pin_file) if name == KEYS[0] else ()
            made = n.attest("account", "new", "--signer", uri(TOKEN, name), *by_file, "--json",
                            pin=None if by_file else USER_PIN)  # fmt: skip
            n.results[f"new {name}"] = made
            n.address[name] = ok(made)["address"]
        chain = Chain.connect(node.rpc_url)
        for a in n.address.values():
            chain.fund(a, 10**20, funder_key=dev_private_keys(1)[0])

        manifest = root / "deployments" / "hsm.json"
        n.results["deploy"] = n.attest(
            "deploy", "--rpc-url", node.rpc_url, "--signer", uri(TOKEN, "committee-1"),
            "--committee", n.address["committee-1"], "--committee", n.address["committee-2"],
            "--threshold", "2", "--network", "hsm", "--out", manifest, "--json",
        )  # fmt: skip
        ok(n.results["deploy"])
        n.manifest = manifest

        c1, c2 = ("--signer", uri(TOKEN, "committee-1")), ("--signer", uri(TOKEN, "committee-2"))
        proposed = n.results["propose bank"] = n.attest(
            "member", "propose", "admit", "--name", "WeBank", "--country", "CN", "--kind", "bank",
            "--role", "publisher", "--account", n.address["bank"], *c1, "--json",
        )  # fmt: skip
        pid = str(ok(proposed)["proposal"])
        ok(n.results.setdefault("vote bank", n.attest("member", "vote", pid, *c2, "--json")))
        ok(n.results.setdefault("execute bank", n.attest("member", "execute", pid, *c1, "--json")))
        proposed = n.results["propose verifier"] = n.attest(
            "member", "propose", "admit", "--name", VERIFIER_NAME, "--country", "CN",
            "--kind", "verification body", "--role", "verifier", "--account", n.address["verifier"],
            "--accreditation-body", "CNAS", "--accreditation-number", "V-1", *c2, "--json",
        )  # fmt: skip
        pid = str(ok(proposed)["proposal"])
        ok(n.results.setdefault("vote verifier", n.attest("member", "vote", pid, "--execute", *c1, "--json")))
        yield n
    finally:
        node.stop()


def signer(net: Net, name: str) -> tuple[str, str]:
    return ("--signer", uri(TOKEN, name))


# ------------------------------------------------------------------------------------------ paths


def test_keys_are_made_in_the_token_and_shown_without_a_pin(net: Net) -> None:
    assert len(set(net.address.values())) == len(KEYS)
    for name in KEYS:
        shown = net.attest("account", "show", *signer(net, name), pin=None)
        assert ok(shown).strip() == net.address[name]


def test_deploy_is_signed_by_the_token(net: Net) -> None:
    m = load_manifest(net.manifest)
    assert net.sender(m.governance.transaction_hash) == net.address["committee-1"]
    assert net.sender(m.registry.transaction_hash) == net.address["committee-1"]
    committee = net.deployment().governance.functions
    assert committee.isCommittee(net.address["committee-2"]).call() and committee.threshold().call() == 2


def test_admission_by_propose_vote_execute_with_token_keys(net: Net) -> None:
    proposed = json.loads(net.results["propose bank"].stdout)
    assert proposed["votes"] == 1 and proposed["threshold"] == 2 and not proposed["executed"]
    vote = json.loads(net.results["vote bank"].stdout)
    assert vote["voted"] == net.address["committee-2"]
    assert net.sender(vote["vote_transaction"]) == net.address["committee-2"]
    executed = json.loads(net.results["execute bank"].stdout)
    assert executed["executed"] and net.sender(executed["transaction"]) == net.address["committee-1"]
    dep = net.deployment()
    assert dep.account_org(net.address["bank"]) == executed["org_id"]
    assert json.loads(net.results["vote verifier"].stdout)["executed"]
    assert dep.account_org(net.address["verifier"]) != 0


def test_publish_figures_with_a_token_key(net: Net) -> None:
    d = net.workdir("figures")
    figures = d / FIGURES.name
    shutil.copyfile(FIGURES, figures)
    published = ok(net.attest("publish", "figures", figures, *signer(net, "bank"), "--json"))
    assert net.sender(published["transaction_hash"]) == net.address["bank"]
    ok(net.attest("verify", figures, pin=None))


def test_publish_batch_with_a_token_key(net: Net) -> None:
    d = net.workdir("batch")
    for i in range(5):
        (d / f"meter-{i}.txt").write_text(f"branch {i}: {i}00 kWh\n")
    out = ok(net.attest("publish", "batch", d, "--year", "2022", *signer(net, "bank"), "--json"))
    assert out["leaves"] == 5 and net.sender(out["transaction_hash"]) == net.address["bank"]
    ok(net.attest("verify", receipt_path(d / "meter-3.txt"), pin=None))  # a leaf, through its receipt


def test_sign_statement_offline_then_relay_with_token_keys(net: Net) -> None:
    d = net.workdir("statement")
    figures, statement = d / FIGURES.name, d / STATEMENT.name
    shutil.copyfile(FIGURES, figures)
    shutil.copyfile(STATEMENT, statement)
    ok(net.attest("publish", "figures", figures, *signer(net, "bank"), "--json"))  # (already anchored)
    receipt = receipt_path(figures)
    before = net.nonces()
    signed_out = d / "signed.json"
    sign = ok(net.attest("sign-statement", statement, "--covers", receipt, *signer(net, "verifier"),
                         "--out", signed_out, "--json"))  # fmt: skip
    assert sign["signer"] == net.address["verifier"] and sign["nonce"] == 0  # read from the node
    assert net.nonces() == before  # signing off-line sends nothing
    relayed = ok(net.attest("relay", signed_out, *signer(net, "relayer"), "--json"))
    assert relayed["signer"] == net.address["verifier"]
    assert net.sender(relayed["transaction_hash"]) == net.address["relayer"]
    ok(net.attest("verify", statement, pin=None))


def test_revoke_with_a_token_key(net: Net) -> None:
    d = net.workdir("revoke")
    annex = d / "annex.txt"
    annex.write_text("an annex published by mistake\n")
    ok(net.attest("publish", "file", annex, "--year", "2022", *signer(net, "bank"), "--json"))
    receipt = receipt_path(annex)
    revoked = net.attest(
        "revoke", receipt, "--reason", "published by mistake", *signer(net, "bank"), "--json"
    )
    ok(revoked)
    assert net.attest("verify", annex, pin=None).returncode == 1


def test_publish_many_killed_then_resumed_from_its_journal(net: Net) -> None:
    """SIGKILL the script signing with the token after a window's receipts; the same command again
    finishes: every file anchored exactly once by the bank (one Attested event per digest)."""
    d = net.workdir("many")
    n_files = 3 * WINDOW
    digests = {}
    for i in range(n_files):
        data = f"HSM-signed annex {i:04d}\n".encode()
        (d / f"annex-{i:04d}.txt").write_bytes(data)
        digests[f"annex-{i:04d}.txt"] = hashlib.sha256(data).hexdigest()
    proxy = RpcProxy(net.node.rpc_url)
    proxy.send_delay = 0.3
    journal = net.root / "many.journal.sqlite"

    def command(rpc: str) -> list[str]:
        return [sys.executable, str(PUBLISH_MANY), str(d), "--year", "2022", "--deployment",
                str(net.manifest), "--signer", uri(TOKEN, "bank"), "--rpc-url", rpc, "--journal",
                str(journal), "--json"]  # fmt: skip

    try:
        with open(net.root / "many.out", "w") as out, open(net.root / "many.err", "w") as err:
            proc = subprocess.Popen(command(proxy.url), env=net.env(), stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=err, text=True)  # fmt: skip
        try:
            deadline = time.monotonic() + TIMEOUT
            while sum(1 for _ in d.glob("*.receipt.json")) < WINDOW:
                assert proc.poll() is None, (net.root / "many.err").read_text()[-3000:]
                assert time.monotonic() < deadline, "publish_many.py too slow"
                time.sleep(0.02)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=TIMEOUT)
            assert proc.returncode == -signal.SIGKILL
        finally:
            if proc.poll() is None:
                proc.kill()
    finally:
        proxy.close()
    first_run = sum(1 for _ in d.glob("*.receipt.json"))
    assert WINDOW <= first_run < n_files

    again = subprocess.run(command(net.node.rpc_url), env=net.env(), stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=TIMEOUT)  # fmt: skip
    summary = ok(again)
    assert (
        summary["anchored"] == n_files and summary["reverted"] == [] and "already" not in summary["outcomes"]
    )
    assert summary["outcomes"].get("resumed", 0) + summary["outcomes"].get("resent", 0) >= first_run
    assert summary["account"] == net.address["bank"]
    dep = net.deployment()
    bank_org = dep.account_org(net.address["bank"])
    logs = dep.registry.events.Attested().get_logs(
        from_block=dep.manifest.registry.block_number, argument_filters={"orgId": bank_org}
    )
    per_digest = Counter(log["args"]["digest"].hex() for log in logs)
    assert all(per_digest[digest] == 1 for digest in digests.values())


def test_bootstrap_with_committee_keys_in_the_token(net: Net) -> None:
    """scripts/bootstrap_consortium.py with `pkcs11:` URIs for the committee: a second consortium
    deployed and an organisation admitted by the token's two committee keys (one PIN for both)."""
    d = net.workdir("bootstrap")
    config = {
        "rpc_url": net.node.rpc_url,
        "network": "hsm-bootstrap",
        "manifest": "deployments/bootstrap.json",
        "committee": {"keystores": [uri(TOKEN, "committee-2"), uri(TOKEN, "committee-1")], "threshold": 2},
        "organisations": [{"name": "WeBank", "roles": ["publisher"], "accounts": [net.address["bank"]]}],
    }
    (d / "consortium.json").write_text(json.dumps(config))
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "bootstrap_consortium.py"), str(d / "consortium.json"),
         "--json"], env=net.env(), stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=TIMEOUT,
    )  # fmt: skip
    report = ok(done)
    assert report["deployed"] and [a["name"] for a in report["admitted"]] == ["WeBank"]
    m = load_manifest(d / "deployments" / "bootstrap.json")
    assert net.sender(m.governance.transaction_hash) == net.address["committee-2"]  # the first key deploys


# ------------------------------------------------------------------------------------------ refusals


def refused_publish(
    net: Net, name: str, *args: str, pin: str | None = USER_PIN, **env: str
) -> tuple[Any, Path]:
    """`publish file` of a fresh document with these options; (the result, the document)."""
    d = net.root / f"refused-{name}"
    d.mkdir()
    doc = d / "annex.txt"
    doc.write_text(f"refused: {name}\n")
    before = net.nonces()
    result = net.attest("publish", "file", doc, "--year", "2022", *args, pin=pin, **env)
    assert net.nonces() == before, "something was sent"
    assert not receipt_path(doc).exists()
    assert net.deployment().attestations_of_digest(hashlib.sha256(doc.read_bytes()).hexdigest()) == []
    return result, doc


def test_wrong_pin_is_one_line_exit_3_and_sends_nothing(net: Net) -> None:
    result, _ = refused_publish(net, "pin", *signer(net, "bank"), pin="000000")
    line = one_line(result, 3, f"error: {uri(TOKEN, 'bank')}: wrong PIN for token '{TOKEN}'")
    assert "000000" not in line


def test_missing_key_is_one_line_exit_3(net: Net) -> None:
    result, _ = refused_publish(net, "object", *signer(net, "nobody"))
    one_line(result, 3, f"no private key labelled 'nobody' in token '{TOKEN}'")


def test_key_on_another_curve_is_one_line_exit_3(net: Net) -> None:
    net.hsm.generate_ec(TOKEN, "p256", P256)
    result, _ = refused_publish(net, "curve", *signer(net, "p256"))
    one_line(result, 3, "is on curve P-256 (secp256r1), not secp256k1")


def test_locked_token_is_one_line_exit_3(net: Net) -> None:
    net.hsm.init_token("locked-hsm")
    ok(net.attest("account", "new", "--signer", uri("locked-hsm", "bank")))
    net.hsm.lock_user_pin("locked-hsm")
    result, _ = refused_publish(net, "locked", "--signer", uri("locked-hsm", "bank"))
    one_line(result, 3, "the user PIN of token 'locked-hsm' is locked (too many wrong PINs)")


def test_usage_errors_are_one_line_exit_2(net: Net) -> None:
    keystore = net.root / "some.keystore.json"
    result, _ = refused_publish(net, "both", "--keystore", str(keystore), *signer(net, "bank"))
    one_line(result, 2, "give either --keystore or --signer, not both")
    result, _ = refused_publish(net, "uri", "--signer", f"pkcs11:object=bank?pin-value={USER_PIN}")
    assert USER_PIN not in one_line(result, 2, "not a usable PKCS#11 key URI", "never taken from the URI")
    result, _ = refused_publish(net, "module", *signer(net, "bank"), ATTEST_PKCS11_MODULE="")
    one_line(result, 2, "no PKCS#11 module: pass --pkcs11-module PATH or set ATTEST_PKCS11_MODULE")
    result, _ = refused_publish(net, "nokey")
    one_line(result, 2, "no signing key: pass --keystore FILE or --signer pkcs11:")
