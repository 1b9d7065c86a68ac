"""A real consortium on anvil, set up through the real CLI, and `attest serve` over it.

Shared by tests/test_serve.py and tests/test_browser.py: the committee deploys and admits WeBank
(publisher), the verification body the example statement names (verifier) and a rival bank; WeBank
publishes its 2022 figures, a report PDF and a batch of three files, and binds a disclosure root;
the verification body publishes the example statement covering the figures. `serving` starts
`attest serve` on a free loopback port as a subprocess and stops it by its own process id.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conftest import EXAMPLES
from worlds import ATTEST, run_attest

PASSWORD = "correct horse battery staple 7"
FIGURES = EXAMPLES / "webank-2022-figures.json"
STATEMENT = EXAMPLES / "illustrative-carbon-verification-2022.json"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%% WeBank 2022 sustainability report\n%%EOF\n"
METRIC = "E.paperless.paper_saved"
VERIFIER_NAME = "Example Verification Body"


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: int = 180) -> Any:
    """The installed `attest` script; its JSON output (exit 0 required)."""
    r = run_attest(*args, cwd=cwd, env={"ATTEST_PASSWORD": PASSWORD, **(env or {})}, timeout=timeout)
    assert r.returncode == 0, f"attest {args}: exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    return json.loads(r.stdout) if r.stdout.strip().startswith(("{", "[")) else r.stdout


def run_raw(
    *args: str | Path, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_attest(*args, cwd=cwd, env=env)


@dataclass
class ServeNet:
    root: Path
    rpc_url: str
    manifest: Path
    figures: Path
    statement: Path
    pdf: Path
    batch: Path
    proof: Path
    published: dict[str, Any] = field(default_factory=dict)

    def attest(self, *args: str | Path, **kwargs: Any) -> Any:
        return run(*args, cwd=self.root, env={"ATTEST_DEPLOYMENT": str(self.manifest)}, **kwargs)

    def attest_raw(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        return run_raw(*args, cwd=self.root, env={"ATTEST_DEPLOYMENT": str(self.manifest)})


def build_net(root: Path, rpc_url: str) -> ServeNet:
    from eth_account import Account

    from attest.chain.connection import Chain
    from attest.chain.keystore import create_keystore
    from attest.devtools.node import dev_private_keys

    dev_key = dev_private_keys(1)[0]
    keys = {n: root / f"{n}.keystore.json" for n in ("committee", "bank", "verifier", "rival")}
    addresses = {"committee": create_keystore(keys["committee"], PASSWORD, private_key=dev_key)}
    chain = Chain.connect(rpc_url)
    for name in ("bank", "verifier", "rival"):
        addresses[name] = create_keystore(keys[name], PASSWORD, private_key=Account.create().key.hex())
        chain.fund(addresses[name], 10**20, funder_key=dev_key)
    manifest = root / "deployments" / "anvil.json"
    run("deploy", "--rpc-url", rpc_url, "--keystore", keys["committee"], "--network", "anvil",
        "--out", manifest, "--json", cwd=root)  # fmt: skip
    pub = root / "published"
    pub.mkdir()
    batch = pub / "bills"
    batch.mkdir()
    for i in range(3):
        (batch / f"bill-{i}.txt").write_bytes(f"green loan bill {i}\n".encode())
    net = ServeNet(
        root, rpc_url, manifest, pub / FIGURES.name, pub / STATEMENT.name, pub / "report-2022.pdf", batch,
        pub / "paper.proof.json",
    )  # fmt: skip
    for name, role, who, extra in (
        ("WeBank", "publisher", "bank", ["--country", "CN", "--kind", "bank"]),
        (VERIFIER_NAME, "verifier", "verifier",
         ["--country", "CN", "--kind", "verification body", "--accreditation-body", "CNAS",
          "--accreditation-number", "V-1"]),
        ("Rival Bank", "publisher", "rival", ["--country", "CN", "--kind", "bank"]),
    ):  # fmt: skip
        net.attest("member", "admit", "--keystore", keys["committee"], "--name", name, "--role", role,
                   "--account", addresses[who], *extra, "--json")  # fmt: skip
    shutil.copyfile(FIGURES, net.figures)
    statement = json.loads(STATEMENT.read_text(encoding="utf-8"))
    statement["verifier"]["name"] = VERIFIER_NAME
    net.statement.write_text(json.dumps(statement, ensure_ascii=False, indent=2), encoding="utf-8")
    net.pdf.write_bytes(PDF)
    net.published["figures"] = net.attest(
        "publish", "figures", net.figures, "--keystore", keys["bank"], "--json"
    )
    net.published["pdf"] = net.attest(
        "publish", "file", net.pdf, "--year", "2022", "--keystore", keys["bank"], "--json"
    )
    net.published["batch"] = net.attest(
        "publish", "batch", batch, "--year", "2022", "--keystore", keys["bank"], "--json"
    )
    receipt = net.figures.with_name(net.figures.stem + ".receipt.json")
    net.published["statement"] = net.attest(
        "publish", "statement", net.statement, "--covers", receipt, "--keystore", keys["verifier"], "--json"
    )
    # The disclosure tree is over the 2021 figures: with a root bound to the 2022 figures, `attest
    # verify` of those figures (and of the statement covering them) ends in exit 3 while proving a
    # storage slot ("the leaf holds no 32-byte word"), in the CLI as on the page (reported; the
    # proofs code is not this test's).
    older = json.loads(FIGURES.read_text(encoding="utf-8"))
    older["reporting_year"] = 2021
    older["period"] = {"start": "2021-01-01", "end": "2021-12-31"}
    figures_2021 = pub / "webank-2021-figures.json"
    figures_2021.write_text(json.dumps(older, ensure_ascii=False, indent=2), encoding="utf-8")
    net.attest("publish", "figures", figures_2021, "--keystore", keys["bank"], "--json")
    net.attest("publish", "disclosure-root", figures_2021, "--keystore", keys["bank"], "--json")
    net.attest("disclose", figures_2021, "--metric", METRIC, "--out", net.proof, "--json")
    return net


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(net: ServeNet, *extra: str) -> Iterator[str]:
    """`attest serve` over the network's manifest; yields its base URL; stopped by its pid."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ATTEST_")}
    log = (net.root / f"serve-{port}.log").open("w")
    proc = subprocess.Popen(
        [str(ATTEST), "serve", "-d", str(net.manifest), "--port", str(port), *extra],
        cwd=net.root,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    raise AssertionError(
                        f"attest serve did not start: {(net.root / f'serve-{port}.log').read_text()}"
                    ) from None
                time.sleep(0.2)
        yield url
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
