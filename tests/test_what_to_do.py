"""Errors that say what to do (issue 25, item 2), each through the real `attest` command on a real anvil.

A folder with one bad document fails that document and judges the rest; a missing manifest says what
one is and how to give it; no password and no terminal is one line, exit 2; a mistyped keystore is
bad input (exit 2) like a mistyped document, and so are a wrong password and a file that is no
keystore, from every command that opens one; `member admit` prints its own newline as a newline; one
exit-code table in every `--help` and in docs/exit-codes.md. (Interrupted publishing runs:
tests/test_interrupted.py.)
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import worlds
from conftest import EXAMPLES, REPO_ROOT, Consortium
from worlds import ATTEST, anvil_world, run_attest, show

from attest.chain.keystore import create_keystore
from attest.core.contracts import Kind
from attest.core.documents import hash_document
from attest.core.errors import EXIT_CODES

PASSWORD = "what to do"


def attest(*args: str | Path, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    """The installed `attest`, without the user's ATTEST_* settings, with no terminal on stdin."""
    return run_attest(*args, cwd=cwd, env=env)


# ------------------------------------------------------------------------------- no chain needed


def test_one_exit_code_table_in_help_scripts_and_docs() -> None:
    rows = [f"{code:>3}  {meaning}" for code, meaning in EXIT_CODES]
    assert {5, 6, 130} <= {code for code, _ in EXIT_CODES}
    done = attest("--help")
    assert done.returncode == 0, show(done)
    for row in rows:
        assert row in done.stdout, (row, done.stdout)
    for script in ("publish_many.py", "publish_year.py", "bootstrap_consortium.py"):
        helped = subprocess.run(
            [sys.executable, str(REPO_ROOT / "scripts" / script), "--help"], capture_output=True, text=True
        )
        assert helped.returncode == 0, helped.stderr
        for row in rows:
            assert row in helped.stdout, (script, row, helped.stdout)
    page = (REPO_ROOT / "docs" / "exit-codes.md").read_text(encoding="utf-8")
    table = re.findall(r"^\| (\d+) \| (.+) \|$", page, flags=re.MULTILINE)
    assert [(int(c), m) for c, m in table] == list(EXIT_CODES)


def test_the_command_list_shows_whole_summaries() -> None:
    for args in (["--help"], ["member", "--help"], ["publish", "--help"]):
        done = attest(*args)
        commands = done.stdout.split("Commands:")[1]
        assert "..." not in commands, commands  # click's cut: `sign-statement  Sign an attestation of...`
    assert "Sign an attestation of a verification statement as" in attest("--help").stdout


def test_a_missing_manifest_says_what_it_is_and_how_to_give_it(tmp_path: Path) -> None:
    done = attest("verify", EXAMPLES / "webank-2022-figures.json", cwd=tmp_path)
    assert done.returncode == 2, show(done)
    assert done.stdout == "" and len(done.stderr.splitlines()) == 1, show(done)
    line = done.stderr
    assert line.startswith("error: deployments/local.json: no deployment manifest here"), line
    assert f"relative to {tmp_path}" in line
    assert "-d/--deployment FILE" in line and "ATTEST_DEPLOYMENT" in line and "consortium" in line


# ------------------------------------------------------------------------------------ on anvil


@dataclass
class World:
    c: Consortium
    node: Any
    root: Path
    manifest: Path
    keystore: Path  # the bank's
    committee: list[Path]
    anchored: Path  # WeBank's 2022 figures, anchored as such

    def chain(self) -> list[str]:
        return ["-d", str(self.manifest), "--rpc-url", self.node.rpc_url]

    def head(self) -> int:
        return int(self.c.chain.w3.eth.block_number)


def anchored_and_keys(w: worlds.World) -> dict[str, Any]:
    """WeBank's 2022 figures anchored as such (by digest: no receipt)."""
    c, root = w.c, w.root
    anchored = root / "webank-2022-figures.json"
    shutil.copy(EXAMPLES / "webank-2022-figures.json", anchored)
    c.dep.attest(c.bank, hash_document(anchored).digest, Kind.FIGURES, 2022)
    return {"anchored": anchored}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("what-to-do")
    with anvil_world(root, figures=None, setup=anchored_and_keys, mine_blocks=2) as w:
        c = w.c
        keystore = root / "bank.json"
        create_keystore(keystore, PASSWORD, private_key=c.bank.key.hex())
        committee = []
        for n, member in enumerate(c.committee[:2]):
            committee.append(root / f"committee-{n}.json")
            create_keystore(committee[-1], PASSWORD, private_key=member.key.hex())
        yield World(c, w.node, root, w.manifest, keystore, committee, w.anchored)


def _folder(w: World, name: str, *, malformed: bool) -> Path:
    """A folder: the anchored figures, figures naming an organisation no one admitted, and (when
    `malformed`) a JSON document with a duplicate key."""
    folder = w.root / name
    folder.mkdir()
    shutil.copy(w.anchored, folder / "a-anchored.json")
    doc = json.loads(w.anchored.read_text(encoding="utf-8"))
    doc["organisation"]["name"] = "Nobody Bank"
    (folder / "b-nobody.json").write_text(json.dumps(doc), encoding="utf-8")
    if malformed:
        (folder / "c-broken.json").write_text('{"schema": "esg-figures/1", "schema": "x"}', encoding="utf-8")
    return folder


def test_a_folder_with_an_unknown_organisations_document_judges_every_file(world: World) -> None:
    folder = _folder(world, "unknown-org", malformed=False)
    done = attest("verify", folder, *world.chain())
    assert done.returncode == 1, show(done)
    verdicts = [line for line in done.stdout.splitlines() if "VERIFIED" in line]
    assert verdicts[0] == "VERIFIED", verdicts
    assert verdicts[1].startswith("NOT VERIFIED (failed: organisation"), verdicts
    unknown = "the document names organisation 'Nobody Bank', which is not an admitted member"
    assert f"✗ organisation  {unknown}" in done.stdout
    assert done.stderr == ""
    many = attest("verify-many", folder, *world.chain())
    assert many.returncode == 1, show(many)
    assert f"✗ {folder / 'b-nobody.json'}" in many.stdout
    assert "1 verified, 1 not verified, of 2" in many.stdout


def test_a_folder_with_a_malformed_document_fails_that_file_and_goes_on(world: World) -> None:
    folder = _folder(world, "malformed", malformed=True)
    broken = folder / "c-broken.json"
    for command in ("verify", "verify-many"):
        done = attest(command, folder, *world.chain())
        assert done.returncode == 2, show(done)  # the worst result: an input error
        (line,) = done.stderr.splitlines()  # the bad file, named, once on stderr
        assert line.startswith(f"error: {broken}: ") and "duplicate key" in line, line
        assert "✗ input" in done.stdout or "    input" in done.stdout, done.stdout
        assert str(broken) in done.stdout
        if command == "verify":
            assert done.stdout.count("NOT VERIFIED") == 2 and "\nVERIFIED\n" in done.stdout, done.stdout
        else:
            assert "1 verified, 2 not verified, of 3" in done.stdout, done.stdout
    as_json = attest("verify", folder, "--json", *world.chain())
    assert as_json.returncode == 2
    reports = json.loads(as_json.stdout)
    assert [r["verified"] for r in reports] == [True, False, False]
    assert reports[2]["input_error"] == 2 and reports[2]["checks"][0]["name"] == "input"


def _report(w: World) -> Path:
    report = w.root / "report.pdf"
    report.write_bytes(b"%PDF-1.7 a report no one published")
    return report


def test_no_password_and_no_terminal_is_one_line_exit_2(world: World) -> None:
    before = world.head()
    done = attest(
        "publish", "file", _report(world), "--year", "2022", "--keystore", world.keystore, *world.chain()
    )
    assert done.returncode == 2, show(done)
    no_terminal = "no keystore password and no terminal to ask on"
    assert done.stderr.splitlines() == [
        f"error: {no_terminal}: set ATTEST_PASSWORD or pass --password-file FILE"
    ], show(done)
    assert "Warning" not in done.stderr and world.head() == before


def test_a_mistyped_keystore_is_bad_input_like_a_mistyped_document(world: World) -> None:
    typo = world.root / "bnak.json"
    done = attest("publish", "file", _report(world), "--year", "2022", "--keystore", typo, *world.chain())
    assert done.returncode == 2, show(done)
    assert done.stderr.splitlines() == [
        f"error: {typo}: cannot read keystore: No such file or directory: check --keystore / ATTEST_KEYSTORE"
    ]


KEYSTORE_TROUBLES = ("wrong password", "missing", "not a keystore")


def _entry_points(w: World, keystore: Path) -> dict[str, list[str | Path]]:
    """Every kind of command that opens a keystore: publishing (a file, a batch), the committee's
    (member admit), and the two publishing scripts; each run as its user would."""
    report = _report(w)
    batch = w.root / "keystore-batch"
    batch.mkdir(exist_ok=True)
    (batch / "bill.pdf").write_bytes(b"%PDF-1.7 a bill no one published")
    python, scripts = sys.executable, REPO_ROOT / "scripts"
    deployment = ["--deployment", w.manifest, "--rpc-url", w.node.rpc_url, "--keystore", keystore]
    publish = [ATTEST, "publish"]
    key = ["--year", "2022", "--keystore", keystore, *w.chain()]
    return {
        "publish file": [*publish, "file", report, *key],
        "publish batch": [*publish, "batch", batch, *key],
        "member admit": [
            ATTEST, "member", "admit", "--name", "Key Bank", "--role", "publisher",
            "--account", "0x" + "34" * 20, "--keystore", keystore, *w.chain(),
        ],
        "publish_many.py": [python, scripts / "publish_many.py", *deployment, "--year", "2022", report],
        "publish_year.py": [
            python, scripts / "publish_year.py", *deployment,
            "--figures", w.anchored, "--report", report,
        ],
    }  # fmt: skip


@pytest.mark.parametrize("trouble", KEYSTORE_TROUBLES)
def test_a_keystore_that_cannot_be_opened_is_bad_input_naming_it(
    world: World, trouble: str, tmp_path: Path
) -> None:
    """A wrong password, a mistyped keystore path, a file that is no keystore: each is bad input
    (exit 2, as a mistyped document is), one line naming the keystore and what to do, whatever the
    command — and nothing sent. Neither the password nor the file's content is ever echoed."""
    wrong = "not-the-password-25b"
    keystore = {
        "wrong password": world.keystore,
        "missing": world.root / "bnak.json",
        "not a keystore": world.manifest,  # a JSON file, but a deployment manifest
    }[trouble]
    expected = {
        "wrong password": "wrong password for this keystore (the one from ATTEST_PASSWORD): give its "
        "password through ATTEST_PASSWORD or --password-file FILE",
        "missing": "cannot read keystore: No such file or directory: check --keystore / ATTEST_KEYSTORE",
        "not a keystore": "not a keystore file (no `address`; a V3 keystore is the JSON `attest account new` "
        "writes): check --keystore / ATTEST_KEYSTORE",
    }[trouble]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ATTEST_")}
    before = world.head()
    for name, command in _entry_points(world, keystore).items():
        done = subprocess.run(
            [str(c) for c in command],
            capture_output=True,
            text=True,
            env={**clean, "ATTEST_PASSWORD": wrong if trouble == "wrong password" else PASSWORD},
            stdin=subprocess.DEVNULL,
            timeout=180,
        )
        assert done.returncode == 2, (name, show(done))
        assert done.stderr.splitlines() == [f"error: {keystore}: {expected}"], (name, show(done))
        assert "Traceback" not in done.stderr and wrong not in done.stdout + done.stderr, name
        assert world.head() == before, name  # nothing sent


def test_a_wrong_password_from_a_file_names_that_file(world: World, tmp_path: Path) -> None:
    password_file = tmp_path / "password.txt"
    password_file.write_text("not it\n", encoding="utf-8")
    before = world.head()
    done = attest(
        "publish", "file", _report(world), "--year", "2022", "--keystore", world.keystore,
        "--password-file", password_file, *world.chain(),
    )  # fmt: skip
    assert done.returncode == 2, show(done)
    assert done.stderr.splitlines() == [
        f"error: {world.keystore}: wrong password for this keystore (the one from --password-file "
        f"{password_file}): give its password through ATTEST_PASSWORD or --password-file FILE"
    ], show(done)
    assert world.head() == before


def test_member_admit_prints_its_own_lines(world: World) -> None:
    account = "0x" + "12" * 20
    admit = ["member", "admit", "--name", "Line Bank", "--role", "publisher", "--account", account]
    done = attest(*admit, "--keystore", world.committee[0], *world.chain(), ATTEST_PASSWORD=PASSWORD)
    assert done.returncode == 0, show(done)
    proposed, votes = done.stdout.splitlines()
    assert proposed.startswith("proposal #") and "Line Bank" in proposed and "\\x0a" not in done.stdout
    assert votes.startswith("1/2 votes; needs 1 more vote(s)"), votes
    number = proposed.removeprefix("proposal #").split(":")[0]
    vote = attest(
        "member",
        "vote",
        number,
        "--execute",
        "--keystore",
        world.committee[1],
        *world.chain(),
        ATTEST_PASSWORD=PASSWORD,
    )
    assert vote.returncode == 0, show(vote)
    assert vote.stdout.splitlines()[1].startswith("executed in block "), vote.stdout


def test_click_s_own_errors_are_error_lines_exit_2() -> None:
    for args in (["verify"], ["publish", "file", "x", "--year", "abc"], ["nope"]):
        done = attest(*args)
        assert done.returncode == 2, show(done)
        assert done.stderr.splitlines()[-1].startswith("error: "), show(done)
        assert "Error:" not in done.stderr


def test_ctrl_c_at_the_password_prompt_is_interrupted_exit_130(world: World) -> None:
    """At a real terminal (a pty): click turns Ctrl-C at a prompt into "Aborted!", exit 1 ("not
    verified"); it is `interrupted`, exit 130, as everywhere else."""
    import pty
    import select
    import signal

    leader, follower = pty.openpty()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ATTEST_")}
    args = ["publish", "file", str(_report(world)), "--year", "2022", "--keystore", str(world.keystore)]
    process = subprocess.Popen(
        [str(ATTEST), *args, *world.chain()], stdin=follower, stdout=follower, stderr=follower, env=clean
    )
    os.close(follower)
    seen = b""
    try:
        while b"Keystore password" not in seen:
            ready, _, _ = select.select([leader], [], [], 60)
            assert ready, seen
            seen += os.read(leader, 1024)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 130, seen
        while True:
            ready, _, _ = select.select([leader], [], [], 1)
            if not ready:
                break
            try:
                chunk = os.read(leader, 1024)
            except OSError:  # the pty closed with the process
                break
            if not chunk:
                break
            seen += chunk
    finally:
        if process.poll() is None:
            process.kill()
        os.close(leader)
    assert b"interrupted" in seen and b"Aborted" not in seen, seen


def test_account_new_warns_of_a_key_git_would_commit(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    done = attest("account", "new", "bank.json", cwd=tmp_path, ATTEST_PASSWORD=PASSWORD)
    assert done.returncode == 0, show(done)
    assert done.stderr.splitlines() == [
        f"warning: bank.json is inside the git work tree {tmp_path} and not ignored: a `git add .` would "
        "commit it; keep keys outside the repository, or add it to .gitignore"
    ]
    (tmp_path / ".gitignore").write_text("/keys/\n", encoding="utf-8")
    (tmp_path / "keys").mkdir()
    ignored = attest("account", "new", "keys/bank.json", cwd=tmp_path, ATTEST_PASSWORD=PASSWORD)
    assert ignored.returncode == 0 and ignored.stderr == "", show(ignored)
    # and the repository ignores the keys its README creates at its root
    checked = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "check-ignore", "bank.json", "committee.json"],
        capture_output=True,
        text=True,
    )
    assert checked.stdout.split() == ["bank.json", "committee.json"], checked
