"""The tests' shared support for worlds on a real anvil node and for the real `attest` command.

`anvil_world(root, ...)` starts a fresh anvil under `root/node`, deploys the consortium
(tests/conftest.py `build_consortium`) and publishes what a test asks for, in this order:

1. the example figures (examples/webank-2022-figures.json), by the bank;
2. a statement by the verifier covering them (`statement=`: the file name; `statement_example=`
   the example it copies);
3. `rival=`: Rival Bank's figures and a statement by the same verifier retiring Verra units
   4001..4500 of the issuance WeBank's statement retires 1..5000 of (a double claim).
   `"overlap"` keeps the rest of WeBank's statement (its beneficiaries, its forestry block moved to
   issuance FCS-EXAMPLE-01-2021-B); `"overlap-on-behalf"` also names Rival Bank Co. as beneficiary
   and retires FCS-EXAMPLE-01-2021-B 300001..306400 (6400 t);
4. `restated=`: a restatement of the figures (first metric + 1) at that path under `root`;
5. `withdrawn=`: a file `withdrawn.pdf` published by the bank and revoked with that reason;
6. `setup(world)`: anything else, on the world built so far; what it returns (a dict) is
   `world.made`, each name an attribute too (`world.edited`);
7. `mine_blocks` empty blocks; then, with `checkpoint=True`, the head is taken as the trusted block
   (`world.checkpoint`, "NUMBER:HASH"), `after_checkpoint(world)` runs (what it returns is made too)
   and `mine_after` more blocks are mined;
8. the deployment manifest is written (tests/conftest.py `manifest_of`).

The node is stopped when the context ends. `run_attest` runs the installed command without the
user's ATTEST_* settings; `show` prints what it did, for assertion messages.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from conftest import EXAMPLES, Consortium, consortium_on_anvil, manifest_of, mine

from attest.app.publishing import publish
from attest.chain.anchoring import revoke
from attest.chain.connection import Chain
from attest.core.contracts import Kind

ATTEST = Path(sys.executable).parent / "attest"
FIGURES_EXAMPLE = "webank-2022-figures.json"
STATEMENT_EXAMPLE = "illustrative-carbon-verification-2022-v2.json"
# Rival Bank's Verra retirement: units 4001..4500 of the issuance WeBank's statement retires 1..5000 of
RIVAL_VERRA_SERIAL = "0001-004001-004500-VCS-VCU-003-VER-CN-0003-01012022-31122022-1"
RIVAL_ORGANISATION = {"name": "Rival Bank", "legal_name": "Rival Bank Co.", "country": "CN"}

Rival = Literal["overlap", "overlap-on-behalf"]


@dataclass
class World:
    """What a world on anvil holds; paths are None (uids "") for what was not asked for. Uids are
    lower case."""

    root: Path
    node: Any
    c: Consortium
    manifest: Path = Path()
    figures: Path | None = None
    figures_uid: str = ""
    figures_block: int = 0
    statement: Path | None = None
    statement_uid: str = ""
    statement_block: int = 0
    rival_figures: Path | None = None
    rival_figures_uid: str = ""
    rival_statement: Path | None = None
    rival_statement_uid: str = ""
    restated: Path | None = None
    restated_uid: str = ""
    withdrawn: Path | None = None
    withdrawn_uid: str = ""
    checkpoint: str = ""  # "NUMBER:HASH", for --trust-block
    checkpoint_number: int = 0
    made: dict[str, Any] = field(default_factory=dict)  # what `setup` and `after_checkpoint` returned

    def __getattr__(self, name: str) -> Any:
        """What `setup` or `after_checkpoint` made, by name: `world.edited` for {"edited": ...}."""
        made = self.__dict__.get("made") or {}
        if name in made:
            return made[name]
        raise AttributeError(name)

    @property
    def chain(self) -> Chain:
        return self.c.chain

    @property
    def rpc_url(self) -> str:
        return str(self.node.rpc_url)


def rival_statement_doc(statement: dict[str, Any], rival: Rival) -> dict[str, Any]:
    """Rival Bank's statement made from WeBank's: Verra units 4001..4500 (claimed twice)."""
    doc = json.loads(json.dumps(statement))
    doc["organisation"] = dict(RIVAL_ORGANISATION)
    verra, forestry = doc["neutrality_claim"]["retirements"][:2]
    verra["serial_blocks"] = [{"serial": RIVAL_VERRA_SERIAL}]
    verra["quantity_tco2e"] = "500"
    if rival == "overlap":
        forestry["serial_blocks"][0]["issuance"] = "FCS-EXAMPLE-01-2021-B"
        return doc
    on_behalf = {"beneficiary": "Rival Bank Co.", "reason": "retired on behalf of Rival Bank Co."}
    verra.update(on_behalf)
    forestry["serial_blocks"] = [{"issuance": "FCS-EXAMPLE-01-2021-B", "start": "300001", "end": "306400"}]
    forestry["quantity_tco2e"] = "6400"
    forestry.update(on_behalf)
    return doc


def write_json(path: Path, doc: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def restatement(figures: Path, path: Path, by: int = 1) -> Path:
    """The figures with their first metric's value raised by `by`, written to `path`."""
    doc = json.loads(figures.read_text(encoding="utf-8"))
    doc["metrics"][0]["value"] = str(int(doc["metrics"][0]["value"]) + by)
    return write_json(path, doc)


@contextmanager
def anvil_world(
    root: Path,
    *,
    figures: str | None = FIGURES_EXAMPLE,
    figures_uri: str = "",
    statement: str | None = None,
    statement_example: str = STATEMENT_EXAMPLE,
    rival: Rival | None = None,
    rival_names: tuple[str, str] = ("rival-figures.json", "rival-statement.json"),
    restated: str | None = None,
    withdrawn: str | None = None,
    setup: Callable[[World], dict[str, Any] | None] | None = None,
    mine_blocks: int = 3,
    checkpoint: bool = False,
    after_checkpoint: Callable[[World], dict[str, Any] | None] | None = None,
    mine_after: int = 0,
) -> Iterator[World]:
    """A consortium on a fresh anvil under `root` with the documents asked for (see the module's
    docstring); the node stopped after."""
    with consortium_on_anvil(root) as (node, c):
        w = World(root, node, c)
        fig_uid = ""
        if figures is not None:
            w.figures = root / figures
            shutil.copy(EXAMPLES / FIGURES_EXAMPLE, w.figures)
            fig = publish(c.dep, c.bank, w.figures, kind=Kind.FIGURES, uri=figures_uri).published.attestation
            fig_uid = fig.uid
            w.figures_uid, w.figures_block = fig.uid.lower(), fig.block_number
        if statement is not None:
            w.statement = root / statement
            shutil.copy(EXAMPLES / statement_example, w.statement)
            st = publish(
                c.dep, c.verifier, w.statement, kind=Kind.STATEMENT, ref=fig_uid
            ).published.attestation
            w.statement_uid, w.statement_block = st.uid.lower(), st.block_number
        if rival is not None:
            assert w.figures is not None and w.statement is not None, "the rival pair copies both"
            rival_doc = json.loads(w.figures.read_text(encoding="utf-8"))
            rival_doc["organisation"] = dict(RIVAL_ORGANISATION)
            w.rival_figures = write_json(root / rival_names[0], rival_doc)
            rf = publish(c.dep, c.rival, w.rival_figures, kind=Kind.FIGURES).published.attestation
            w.rival_figures_uid = rf.uid.lower()
            st_doc = json.loads(w.statement.read_text(encoding="utf-8"))
            w.rival_statement = write_json(root / rival_names[1], rival_statement_doc(st_doc, rival))
            rs = publish(c.dep, c.verifier, w.rival_statement, kind=Kind.STATEMENT, ref=rf.uid)
            w.rival_statement_uid = rs.published.attestation.uid.lower()
        if restated is not None:
            assert w.figures is not None, "a restatement restates the figures"
            w.restated = restatement(w.figures, root / restated)
            new = publish(c.dep, c.bank, w.restated, kind=Kind.FIGURES, ref=fig_uid)
            w.restated_uid = new.published.attestation.uid.lower()
        if withdrawn is not None:
            w.withdrawn = root / "withdrawn.pdf"
            w.withdrawn.write_bytes(b"%PDF-1.4 a report withdrawn\n")
            uid = publish(c.dep, c.bank, w.withdrawn, kind=Kind.FILE, year=2022).published.attestation.uid
            revoke(c.dep, c.bank, uid, withdrawn)
            w.withdrawn_uid = uid.lower()
        if setup is not None:
            w.made.update(setup(w) or {})
        mine(c, mine_blocks)
        if checkpoint:
            w.checkpoint_number = c.chain.head()
            w.checkpoint = f"{w.checkpoint_number}:{c.chain.block_hash(w.checkpoint_number)}"
            if after_checkpoint is not None:
                w.made.update(after_checkpoint(w) or {})
            mine(c, mine_after)
        w.manifest = manifest_of(c, root)
        yield w


def run_attest(
    *args: str | Path,
    timeout: int = 180,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    input: str | None = None,
    inherit: bool = True,
) -> subprocess.CompletedProcess[str]:
    """The installed `attest` command, without the user's ATTEST_* settings (`env` adds some; with
    `inherit=False`, `env` is the whole environment), with no terminal on stdin (`input`, when
    given, is its stdin)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ATTEST_")} if inherit else {}
    return subprocess.run(
        [str(ATTEST), *map(str, args)],
        capture_output=True,
        text=True,
        env={**clean, **(env or {})},
        timeout=timeout,
        cwd=cwd,
        input=input,
        stdin=subprocess.DEVNULL if input is None else None,
    )


def show(done: Any) -> str:
    return f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
