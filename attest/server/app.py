"""The ASGI application behind `attest serve`: static pages, the vendored hasher, a small JSON API.

Starlette (routing, static files, JSON) under uvicorn: both small, typed, maintained by the Encode
team, and enough for a handful of read-only endpoints; no template engine, no ORM, no session.

Every endpoint reads; none writes to the chain or to disk (the disclosure checker gives the proof to
`verify_disclosure`, which reads files, through a temporary directory removed before it answers).
Chain reads are serialised by one lock: a web3 provider is not meant to be shared between threads.
The page loads nothing from outside this server, and the Content-Security-Policy says so to the
browser as well.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from attest.app.history import HistoryIndex
from attest.app.proven import ProofPolicy, Prover
from attest.chain.deployment import Deployment
from attest.chain.transport import is_transport_failure
from attest.core.documents import MAX_JSON_BYTES
from attest.core.errors import AttestError, ChainError, InputError
from attest.core.report_html import ReportContext, render_html
from attest.core.report_summary import plain_checks, summary_sentence
from attest.core.report_text import report_lines
from attest.core.verification import Report

STATIC = Path(__file__).resolve().parent / "static"
HASHER = ("hash-wasm", "dist", "sha256.umd.min.js")
#: a receipt or a proof (1 MiB each), and a published JSON document's canonical text: as large as
#: `attest hash` reads one (MAX_JSON_BYTES), its quotes escaped in the request (at most doubled)
MAX_BODY = 2 * MAX_JSON_BYTES + (4 << 20)
#: organisations whose history index `attest serve` keeps (attest.app.history.HistoryIndex)
MAX_INDEXES = 16
PAGES = {"/": "index.html", "/history": "history.html", "/deployment": "deployment.html"}
PAGES["/disclosure"] = "disclosure.html"
CSP = (
    "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)


def find_hasher(node_modules: Path | None = None) -> Path:
    """The vendored hash-wasm sha256 build: under `node_modules` (npm ci at the repository root puts
    it beside the `attest` package), else the current directory's; InputError naming what to run."""
    roots = [node_modules] if node_modules is not None else []
    roots += [Path(__file__).resolve().parents[2] / "node_modules", Path.cwd() / "node_modules"]
    for root in roots:
        candidate = root.joinpath(*HASHER)
        if candidate.is_file():
            return candidate
    raise InputError(
        "the browser's hasher (npm package hash-wasm) is not installed: run `npm ci` at the repository root"
    )


@dataclass(frozen=True)
class ServeConfig:
    """What `attest serve` was started with: the deployment, how to settle on a trusted block."""

    deployment_path: str
    policy: ProofPolicy
    require_coverage: bool = False
    strict: bool = False


class Service:
    """The use cases the page asks for, over one deployment, one at a time."""

    def __init__(self, dep: Deployment, config: ServeConfig) -> None:
        self.dep = dep
        self.config = config
        self.manifest_bytes = Path(config.deployment_path).read_bytes()
        self.lock = threading.Lock()
        self._indexes: dict[int, HistoryIndex] = {}  # by organisation, the most recently asked last

    def verify(self, request: dict[str, Any]) -> dict[str, Any]:
        from attest.app.claimed import verify_claimed

        with self.lock:
            prover = Prover(self.dep, self.config.policy)  # a trusted block settled for each request
            report = verify_claimed(
                self.dep,
                request,
                prover=prover,
                require_coverage=self.config.require_coverage,
                strict=self.config.strict,
            )
            html = render_html([report], self._context(report))
        return {
            "verified": report.verified,
            # the report in plain words and each line in short (attest.core.report_summary)
            "summary": summary_sentence(report),
            "plain": plain_checks(report),
            "lines": report_lines(report),
            "report": [report.to_json()],  # what `attest verify --json` prints for this target
            "html": html,
        }

    def _context(self, report: Report) -> ReportContext:
        head = self.dep.chain.head()
        m = self.dep.manifest
        return ReportContext(
            chain_id=m.chain_id,
            network=m.network,
            registry=m.registry.address,
            governance=m.governance.address,
            manifest_path=str(Path(self.config.deployment_path).resolve()),
            manifest_sha256=hashlib.sha256(self.manifest_bytes).hexdigest(),
            head_block=head,
            head_block_hash=self.dep.chain.block_hash(head),
            confirmations_required=self.dep.chain.confirmations,
            generated_at=int(time.time()),
            tool_version=version("esg-attest"),
            command=shlex.join(["attest", "verify", report.digest]) + "  # via attest serve",
        )

    def deployment(self) -> dict[str, Any]:
        from attest.app.deployment_check import check_code

        with self.lock:
            m = self.dep.manifest
            head = self.dep.chain.head()
            bound = self.dep.registry.call("membership")
            code = [asdict(c) for c in check_code(self.dep, recompile=False)]
            prover = Prover(self.dep, self.config.policy)
            prover.prove_code()
            trusted = None
            if prover.header is not None:
                trusted = {
                    "number": prover.header.number,
                    "hash": "0x" + prover.header.hash.hex(),
                    "agreed": list(prover.header.agreed),
                    "checkpoint": str(prover.header.checkpoint) if prover.header.checkpoint else None,
                }
            return {
                "network": m.network,
                "chain_id": m.chain_id,
                "manifest_sha256": hashlib.sha256(self.manifest_bytes).hexdigest(),
                "manifest_name": Path(self.config.deployment_path).name,
                "deployed_at": m.deployed_at,
                "confirmations": self.dep.chain.confirmations,
                "head": head,
                "contracts": {
                    name: {
                        "address": part.address,
                        "transaction_hash": part.transaction_hash,
                        "block_number": part.block_number,
                    }
                    for name, part in (("governance", m.governance), ("registry", m.registry))
                },
                "bound_governance": str(bound),
                "bound": str(bound).lower() == m.governance.address.lower(),
                "code": code,
                "code_verified": all(c["status"] == "pass" for c in code),
                "proofs": {
                    "trusted_block": trusted,
                    "registry_code": prover.code or prover.code_problem,
                    "unproven": prover.unproven,
                },
                "compiler": m.compiler,
            }

    def organisations(self) -> list[dict[str, Any]]:
        with self.lock:
            names = self.dep.membership_history().organisation_names()
        return [{"org_id": i, "name": n} for i, n in sorted(names.items())]

    def prime_histories(self) -> None:
        """Read each organisation's history index ahead (`attest serve` does it as it starts, before it
        listens), so that a reader's first history page reads only its own rows: at 10,000
        attestations the index costs more than half a second. A failure here is only a cold cache."""
        from attest.app.history import history_index

        try:
            with self.lock:
                orgs = sorted(self.dep.membership_history().organisation_names())[:MAX_INDEXES]
            for org_id in orgs:
                with self.lock:
                    if org_id not in self._indexes:
                        self._indexes[org_id] = history_index(self.dep, org_id)
        except Exception:  # noqa: BLE001 - the page still answers, reading the index on demand
            return

    def history(self, org: str, year: int | None, kind: str | None = None, page: int = 1) -> dict[str, Any]:
        """One page of an organisation's history (attest.app.history.history_page), newest first."""
        from attest.app.history import history_index, history_page
        from attest.core.contracts import Kind

        kinds = {k.label: k for k in Kind}
        if kind is not None and kind not in kinds:
            raise InputError(f"must be one of {', '.join(kinds)}", field="kind")
        with self.lock:
            org_id = self.dep.find_organisation(org)
            # the organisation's Attested logs, kept and brought up to the head with only the new
            # blocks' logs (attest.app.history.history_index): a page reads the chain for its own rows
            index = history_index(self.dep, org_id, self._indexes.pop(org_id, None))
            self._indexes[org_id] = index
            while len(self._indexes) > MAX_INDEXES:
                self._indexes.pop(next(iter(self._indexes)))
            found = history_page(
                self.dep,
                org_id,
                year=year,
                kind=None if kind is None else kinds[kind],
                page=page,
                index=index,
            )
            name = self.dep.organisation(org_id).info.name
        entries = []
        for e in found.entries:
            data = e.to_json()  # what `attest history --json` prints for it
            data["anchored_at"] = found.anchored_at.get(e.attestation.block_number)
            entries.append(data)
        return {
            "org_id": org_id,
            "organisation": name,
            "year": year,
            "kind": kind,
            "total": found.total,
            "matching": found.matching,
            "page": found.page,
            "pages": found.pages,
            "per_page": found.per_page,
            "years": [{"year": y, "count": n} for y, n in found.years],
            "kinds": [{"kind": k, "count": n} for k, n in found.kinds],
            "attestations": entries,
        }

    def disclosure(self, request: dict[str, Any]) -> dict[str, Any]:
        from attest.app.disclosure import verify_disclosure

        proof = _named_text(request.get("proof"), "proof")
        if proof is None:
            raise InputError("a disclosure proof is required", field="proof")
        statement = _named_text(request.get("statement"), "statement")
        with tempfile.TemporaryDirectory(prefix="attest-serve-") as tmp:
            proof_path = Path(tmp) / "proof" / proof[0]
            proof_path.parent.mkdir()
            proof_path.write_text(proof[1], encoding="utf-8")
            statement_path = None
            if statement is not None:
                statement_path = Path(tmp) / "statement" / statement[0]
                statement_path.parent.mkdir()
                statement_path.write_text(statement[1], encoding="utf-8")
            with self.lock:
                prover = Prover(self.dep, self.config.policy)  # as /api/verify: a trusted block per request
                result = verify_disclosure(self.dep, proof_path, statement=statement_path, prover=prover)
        data = result.to_json()
        data["lines"] = [f"{_mark(c['status'])} {c['name']:<13} {c['detail']}" for c in data["checks"]]
        return data


def _mark(status: str) -> str:
    from attest.core.report_text import SYMBOL

    return SYMBOL.get(status, "?")


def _named_text(part: object, field: str) -> tuple[str, str] | None:
    """A file the reader picked: (a safe file name, its text)."""
    if part is None:
        return None
    if not isinstance(part, dict) or not isinstance(part.get("text"), str):
        raise InputError("must be an object with the file's name and text", field=field)
    name = Path(str(part.get("name") or f"{field}.json")).name
    if not name or name in (".", "..") or len(name) > 255 or "\x00" in name:
        raise InputError("must be a file name", field=f"{field}.name")
    text = str(part["text"])
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError("contains an unpaired surrogate", path=name) from None
    return name, text


def _error(exc: BaseException) -> JSONResponse:
    """One line and the CLI's exit code, as `attest verify` would end (never a traceback)."""
    if isinstance(exc, AttestError):
        status = 400 if isinstance(exc, InputError) else 502 if isinstance(exc, ChainError) else 500
        return JSONResponse({"error": f"error: {exc}", "exit_code": exc.exit_code}, status_code=status)
    if is_transport_failure(exc):
        line = f"error: the chain node stopped answering ({type(exc).__name__})"
        return JSONResponse({"error": line, "exit_code": ChainError.exit_code}, status_code=502)
    line = f"internal error: {type(exc).__name__}: {exc}"
    return JSONResponse({"error": line, "exit_code": 4}, status_code=500)


async def _json_body(request: Request) -> dict[str, Any]:
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
        raise InputError(f"the request is larger than {MAX_BODY >> 20} MiB")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise InputError(f"the request is larger than {MAX_BODY >> 20} MiB")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InputError("the request is not JSON") from None
    if not isinstance(data, dict):
        raise InputError("the request must be a JSON object")
    return data


def _api(work: Callable[[Request], Any]) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        try:
            return JSONResponse(await work(request))
        except Exception as exc:  # noqa: BLE001 - every failure becomes one line, as in the CLI
            return _error(exc)

    return endpoint


def create_app(
    dep: Deployment, config: ServeConfig, *, hasher: Path | None = None, prime: bool = True
) -> Starlette:
    """The application: pages, assets, the hasher from node_modules, and the read-only JSON API;
    with `prime`, the organisations' history indexes read before it is handed over (so before the
    server listens): a reader's first history page then reads only its own rows, instead of waiting
    for the index (0.9 s at 10,000 attestations) behind the server's lock."""
    service = Service(dep, config)
    hasher_file = hasher or find_hasher()
    if prime:
        service.prime_histories()

    async def verify(request: Request) -> Any:
        body = await _json_body(request)
        return await run_in_threadpool(service.verify, body)

    async def deployment(request: Request) -> Any:
        return await run_in_threadpool(service.deployment)

    async def organisations(request: Request) -> Any:
        return await run_in_threadpool(service.organisations)

    async def history(request: Request) -> Any:
        org = request.query_params.get("org", "").strip()
        if not org:
            raise InputError("which organisation? (an id or an admitted name)", field="org")
        year_text = request.query_params.get("year", "").strip()
        if year_text and not year_text.isdigit():
            raise InputError("must be a year", field="year")
        kind = request.query_params.get("kind", "").strip() or None
        page_text = request.query_params.get("page", "").strip() or "1"
        if not page_text.isdigit() or len(page_text) > 9:
            raise InputError("must be a page number", field="page")
        year = int(year_text) if year_text else None
        return await run_in_threadpool(service.history, org, year, kind, int(page_text))

    async def disclosure(request: Request) -> Any:
        body = await _json_body(request)
        return await run_in_threadpool(service.disclosure, body)

    def page(name: str) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            return FileResponse(STATIC / name, media_type="text/html; charset=utf-8")

        return endpoint

    async def hasher_js(request: Request) -> Response:
        return FileResponse(hasher_file, media_type="text/javascript; charset=utf-8")

    async def manifest(request: Request) -> Response:
        return Response(service.manifest_bytes, media_type="application/json")

    routes: list[BaseRoute] = [Route(path, page(name)) for path, name in PAGES.items()]
    routes += [
        Route("/api/verify", _api(verify), methods=["POST"]),
        Route("/api/disclosure", _api(disclosure), methods=["POST"]),
        Route("/api/deployment", _api(deployment)),
        Route("/api/organisations", _api(organisations)),
        Route("/api/history", _api(history)),
        Route("/api/manifest.json", manifest),
        Route("/vendor/hash-wasm/sha256.umd.min.js", hasher_js),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    return Starlette(routes=routes, middleware=[Middleware(SecurityHeaders)])


class SecurityHeaders:
    """Adds the headers every answer carries: the CSP (nothing from elsewhere), no sniffing, no referrer."""

    HEADERS = (
        (b"content-security-policy", CSP.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"cache-control", b"no-store"),
    )

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)
