"""`attest verify-deployment` and `attest.app.deployment_check.check_code`, against real deployments.

One real anvil node and one deployment serve the module; tampering uses anvil's own `anvil_setCode`
(what a malicious node operator could serve) and restores the code afterwards. The embedded chain
hosts the "attacker deploys the same bytecode bound to their own governance" case.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Consortium, build_consortium
from worlds import run_attest

from attest.app.deployment_check import (
    check_code,
    check_immutables,
    expected_immutables,
    mask,
)
from attest.chain.connection import Chain
from attest.chain.deployment import Deployment
from attest.core.contracts import REGISTRY, Kind, load_artifact
from attest.devtools.node import AnvilNode, dev_private_keys


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AnvilNode, Consortium, Path]]:
    work = tmp_path_factory.mktemp("verify-deployment")
    node = AnvilNode(work / "node")
    node.start()
    try:
        c = build_consortium(Chain.connect(node.rpc_url), funder_key=dev_private_keys(1)[0])
        manifest = work / "deployment.json"
        manifest.write_bytes(c.dep.manifest.model_copy(update={"rpc_url": node.rpc_url}).dump())
        yield node, c, manifest
    finally:
        node.stop()


def run(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_attest(*args, env=env, timeout=180)


def statuses(checks: list[Any]) -> dict[str, str]:
    return {c.name: c.status for c in checks}


def set_code(c: Consortium, address: str, code: bytes) -> None:
    c.chain.w3.provider.make_request("anvil_setCode", [address, "0x" + code.hex()])  # type: ignore[arg-type]


@pytest.fixture
def tamper(net: tuple[AnvilNode, Consortium, Path]) -> Iterator[Any]:
    """Replace the registry's runtime code for one test, then put the real code back."""
    _, c, _ = net
    address = c.dep.registry.address
    original = c.chain.code(address)

    def apply(code: bytes) -> None:
        set_code(c, address, code)

    yield apply
    set_code(c, address, original)
    assert c.chain.code(address) == original


# -- the pure parts


def test_mask_zeroes_exactly_the_immutable_ranges() -> None:
    code = bytes(range(40))
    masked = mask(code, {"7": [{"start": 2, "length": 3}], "9": [{"start": 38, "length": 2}]})
    assert masked[:2] == code[:2] and masked[2:5] == b"\0\0\0" and masked[5:38] == code[5:38]
    assert masked[38:] == b"\0\0"


def test_check_immutables_matches_by_value_and_rejects_strangers() -> None:
    expected = {"a": b"\x01" * 32, "b": b"\x02" * 32}
    refs = {
        "1": [{"start": 0, "length": 32}],
        "2": [{"start": 32, "length": 32}, {"start": 64, "length": 32}],
    }
    good = b"\x01" * 32 + b"\x02" * 64
    assert check_immutables(good, refs, {**expected, "membership (the manifest's governance)": b"\x01" * 32})
    assert check_immutables(b"\x01" * 32 + b"\x02" * 32 + b"\x03" * 32, refs, expected).status == "fail"
    assert (
        "different values"
        in check_immutables(b"\x01" * 32 + b"\x02" * 32 + b"\x03" * 32, refs, expected).detail
    )
    stranger = check_immutables(b"\x09" * 32 + b"\x02" * 64, refs, expected)
    assert (
        stranger.status == "fail"
        and "none of the expected values" in stranger.detail
        and "not found: a" in stranger.detail
    )


# -- library, real anvil


def test_genuine_deployment_passes_every_check(net: tuple[AnvilNode, Consortium, Path]) -> None:
    _, c, _ = net
    checks = check_code(c.dep, recompile=False)
    assert statuses(checks) == {
        "ConsortiumGovernance artifact": "pass",
        "ConsortiumGovernance code": "pass",
        "AttestationRegistry artifact": "pass",
        "AttestationRegistry code": "pass",
        "registry immutables": "pass",
    }
    (imm,) = [x for x in checks if x.name == "registry immutables"]
    assert c.dep.governance.address in imm.detail and "8 immutables" in imm.detail


def test_one_changed_byte_of_code_fails(net: tuple[AnvilNode, Consortium, Path], tamper: Any) -> None:
    _, c, _ = net
    code = bytearray(c.chain.code(c.dep.registry.address))
    code[100] ^= 0x01
    tamper(bytes(code))
    checks = statuses(check_code(c.dep, recompile=False))
    assert checks["AttestationRegistry code"] == "fail"
    assert checks["ConsortiumGovernance code"] == "pass"


def test_same_code_with_a_forged_membership_immutable_fails(
    net: tuple[AnvilNode, Consortium, Path], tamper: Any
) -> None:
    """The code matches once immutables are masked, so only the immutable check can catch this."""
    _, c, _ = net
    art = load_artifact(REGISTRY)
    code = bytearray(c.chain.code(c.dep.registry.address))
    governance_word = bytes(12) + bytes.fromhex(c.dep.governance.address[2:])
    forged = bytes(12) + bytes.fromhex(c.outsider.address[2:])
    places = [r for refs in art.immutable_references.values() for r in refs]
    swapped = 0
    for r in places:
        if code[r["start"] : r["start"] + 32] == governance_word:
            code[r["start"] : r["start"] + 32] = forged
            swapped += 1
    assert swapped == 4  # `membership` is read in four places (getter, committee, attest, revoke)
    tamper(bytes(code))
    checks = check_code(c.dep, recompile=False)
    assert statuses(checks)["AttestationRegistry code"] == "pass"
    (imm,) = [x for x in checks if x.name == "registry immutables"]
    assert imm.status == "fail" and "membership" in imm.detail


def test_no_code_at_the_registry_address_fails(net: tuple[AnvilNode, Consortium, Path]) -> None:
    _, c, _ = net
    manifest = c.dep.manifest.model_copy(
        update={"registry": c.dep.manifest.registry.model_copy(update={"address": c.outsider.address})}
    )
    checks = check_code(Deployment(c.chain, manifest), recompile=False)
    assert statuses(checks)["AttestationRegistry code"] == "fail"
    assert "no contract code" in next(x for x in checks if x.name == "AttestationRegistry code").detail


def test_manifest_naming_other_artifacts_fails(net: tuple[AnvilNode, Consortium, Path]) -> None:
    _, c, _ = net
    manifest = c.dep.manifest.model_copy(
        update={"governance": c.dep.manifest.governance.model_copy(update={"artifact_sha256": "ab" * 32})}
    )
    assert (
        statuses(check_code(Deployment(c.chain, manifest), recompile=False))["ConsortiumGovernance artifact"]
        == "fail"
    )


# -- library, embedded chain: the attacker's own copy of the registry


def test_registry_copy_bound_to_another_governance_fails_immutables() -> None:
    real = build_consortium(Chain.embedded())
    attacker = real.outsider
    fake = Deployment.deploy(real.chain, attacker, committee=[attacker.address], threshold=1, network="x")
    manifest = real.dep.manifest.model_copy(update={"registry": fake.manifest.registry})
    checks = check_code(Deployment(real.chain, manifest), recompile=False)
    s = statuses(checks)
    assert s["AttestationRegistry code"] == "pass"  # byte-identical code: only the binding differs
    assert s["registry immutables"] == "fail"
    expected = expected_immutables(real.chain.chain_id, fake.registry.address, real.dep.governance.address)
    assert len(expected) == 8


# -- the command line


def test_cli_verify_deployment_with_recompile(net: tuple[AnvilNode, Consortium, Path]) -> None:
    _node, _, manifest = net
    result = run("verify-deployment", "-d", manifest)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[-1] == "deployment verified"
    assert len([line for line in lines if line.startswith("✓ ")]) == 7
    assert any("fresh compile of contracts/ reproduces" in line for line in lines)
    data = json.loads(run("verify-deployment", "-d", manifest, "--no-recompile", "--json").stdout)
    assert data["verified"] is True and len(data["checks"]) == 5


def test_cli_verify_deployment_tampered_exits_1(net: tuple[AnvilNode, Consortium, Path], tamper: Any) -> None:
    _, c, manifest = net
    code = bytearray(c.chain.code(c.dep.registry.address))
    code[-60] ^= 0xFF
    tamper(bytes(code))
    result = run("verify-deployment", "-d", manifest, "--no-recompile")
    assert result.returncode == 1, result.stderr
    assert "✗ AttestationRegistry code" in result.stdout
    assert result.stdout.strip().endswith("deployment NOT verified")


def test_cli_compiler_unavailable_exits_3(net: tuple[AnvilNode, Consortium, Path], tmp_path: Path) -> None:
    _, _, manifest = net
    result = run("verify-deployment", "-d", manifest, env={"ATTEST_SOLC": str(tmp_path / "no-solc")})
    assert result.returncode == 3, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot recompile contracts/" in lines[0] and "Traceback" not in result.stderr


def test_cli_unreachable_node_exits_3(net: tuple[AnvilNode, Consortium, Path], tmp_path: Path) -> None:
    _, c, _ = net
    manifest = tmp_path / "m.json"
    manifest.write_bytes(c.dep.manifest.model_copy(update={"rpc_url": "http://127.0.0.1:9"}).dump())
    result = run("verify-deployment", "-d", manifest)
    assert result.returncode == 3 and "unreachable" in result.stderr


def test_cli_verify_check_code_folds_the_code_check_into_the_report(
    net: tuple[AnvilNode, Consortium, Path], tamper: Any
) -> None:
    _, c, manifest = net
    digest = "5e" * 32
    c.dep.attest(c.bank, digest, Kind.FILE, 2022)
    ok = run("verify", digest, "--org", "WeBank", "--check-code", "-d", manifest)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "✓ code" in ok.stdout
    code = bytearray(c.chain.code(c.dep.registry.address))
    code[-60] ^= 0xFF
    tamper(bytes(code))
    # anvil_setCode changes the state without a block: the proofs of the latest header would not
    # match it (exit 3, proof invalid); a block makes the node consistent, running the forged code
    c.chain.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    bad = run("verify", digest, "--org", "WeBank", "--check-code", "-d", manifest)
    assert bad.returncode == 1 and "✗ code" in bad.stdout, bad.stdout + bad.stderr
    assert "✗ proofs" in bad.stdout and "is not that of the committed artifact" in bad.stdout
