/* The verification page: hash in the browser, send the digest, show every check. */
(function () {
  "use strict";
  const { api, el, checkList, verdict, showError } = window.AttestUI;
  const J = window.AttestJSON;
  const CHUNK_REPORT = 1 << 20;
  const $ = (id) => document.getElementById(id);
  let blobUrls = [];

  function slice(file) {
    return async (start, end) => new Uint8Array(await file.slice(start, end).arrayBuffer());
  }

  /* sha256 of bytes the browser holds, or streamed from a file: flat memory for any size. */
  async function sha256Stream(file, onProgress) {
    const hasher = await window.hashwasm.createSHA256();
    hasher.init();
    const reader = file.stream().getReader();
    let done = 0, reported = 0;
    for (;;) {
      const { done: end, value } = await reader.read();
      if (end) break;
      hasher.update(value);
      done += value.length;
      if (done - reported >= CHUNK_REPORT * 8) { reported = done; onProgress(done / (file.size || 1)); }
    }
    onProgress(1);
    return hasher.digest("hex");
  }

  async function sha256Bytes(bytes) {
    const hasher = await window.hashwasm.createSHA256();
    hasher.init();
    hasher.update(bytes);
    return hasher.digest("hex");
  }

  /* The digest of a document by `attest hash`'s rule, and what the document says about itself. */
  async function hashDocument(file) {
    const plan = await J.plan(file.name, file.size, slice(file));
    const bar = $("hash-progress");
    $("progress-area").hidden = false;
    bar.value = 0;
    const started = performance.now();
    let digest;
    if (plan.rule === "sha256-raw") {
      digest = await sha256Stream(file, (f) => { bar.value = Math.round(f * 100); });
    } else {
      digest = await sha256Bytes(plan.canonical);
      bar.value = 100;
    }
    const seconds = (performance.now() - started) / 1000;
    document.body.dataset.hashSeconds = seconds.toFixed(3);
    const document_ = { name: file.name, type: plan.type };
    if (plan.type !== "file") {
      document_.organisation = plan.organisation; document_.year = plan.year; document_.schema = plan.schema;
      // a published JSON document goes with its digest, so that every rule reading its content runs
      document_.canonical = new TextDecoder().decode(plan.canonical);
    }
    return { digest, rule: plan.rule, document: document_, seconds };
  }

  function clearResult() {
    for (const u of blobUrls) URL.revokeObjectURL(u);
    blobUrls = [];
    $("result").hidden = true;
    $("result-body").replaceChildren();
    $("status").replaceChildren();
    document.body.removeAttribute("data-verdict");
  }

  function link(text, content, type, filename) {
    const url = URL.createObjectURL(new Blob([content], { type }));
    blobUrls.push(url);
    return el("a", { href: url, download: filename }, text);
  }

  function show(answer, hashed) {
    const r = answer.report[0];
    const body = $("result-body");
    const parts = [verdict(answer.verified, answer.verified ? "VERIFIED" : "NOT VERIFIED")];
    // the report in one plain sentence (attest.core.report_summary: the verifier's words, not the page's)
    parts.push(el("p", { class: "summary", id: "summary" }, answer.summary));
    const stem = r.digest.slice(0, 16);
    parts.push(el("p", { class: "links" },
      link("Report as JSON", JSON.stringify(answer.report, null, 2) + "\n", "application/json",
        `verification-${stem}.json`),
      link("Self-contained HTML report", answer.html, "text/html", `verification-${stem}.html`)));
    parts.push(el("h3", {}, "The checks"));
    parts.push(el("p", { class: "hint" }, "Each line in short; open it for the technical record."));
    parts.push(checkList(r.checks, answer.plain));
    parts.push(el("p", { class: "small" }, "Subject: ", el("span", { class: "digest" }, r.subject)));
    parts.push(el("p", { class: "small" }, "sha256 ", el("span", { class: "digest", id: "result-digest" }, r.digest),
      hashed ? ` (hashed in this browser in ${hashed.seconds.toFixed(2)} s)` : ""));
    body.replaceChildren(...parts);
    $("result").hidden = false;
    document.body.dataset.verdict = answer.verified ? "verified" : "not-verified";
    $("status").textContent = answer.verified ? "Verified." : "Not verified: see the summary and the checks marked ✗.";
    $("result-heading").focus();
  }

  async function submit(event) {
    event.preventDefault();
    clearResult();
    const button = $("verify-button");
    button.disabled = true;
    const status = $("status");
    try {
      const file = $("document").files[0];
      const receiptFile = $("receipt").files[0];
      const typed = $("digest").value.trim();
      const request = {};
      let hashed = null;
      if (file) {
        status.textContent = `Hashing ${file.name} in your browser…`;
        hashed = await hashDocument(file);
        Object.assign(request, { digest: hashed.digest, rule: hashed.rule, document: hashed.document });
      } else if (typed) {
        if (!/^(?:sha256:|0x)?[0-9a-fA-F]{64}$/.test(typed)) {
          throw new Error("error: field 'digest': not a sha256 digest (64 hexadecimal digits)");
        }
        request.digest = typed;
      }
      if (receiptFile) {
        if (receiptFile.size > 1 << 20) throw new Error(`error: ${receiptFile.name}: a receipt is at most 1 MiB`);
        const bytes = new Uint8Array(await receiptFile.arrayBuffer());
        try {
          J.parseStrict(bytes); // refused here already when it is not strict JSON
        } catch (err) {
          throw new Error(`error: ${receiptFile.name}: ${err.message}`);
        }
        request.receipt = { name: receiptFile.name, text: new TextDecoder().decode(bytes) };
      }
      if (!request.digest && !request.receipt) {
        throw new Error("error: choose a document or a receipt, or paste a sha256 digest");
      }
      const org = $("org").value.trim();
      if (org) request.org = org;
      status.textContent = "Checking against the registry…";
      show(await api("/api/verify", request), hashed);
    } catch (err) {
      const message = err instanceof J.StrictJSONError
        ? `error: ${$("document").files[0].name}: ${err.message} — refused in this browser, nothing was sent`
        : err.message;
      document.body.dataset.verdict = "refused";
      showError(status, message);
    } finally {
      button.disabled = false;
    }
  }

  function setup() {
    const zone = $("dropzone");
    zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", (e) => {
      e.preventDefault();
      zone.classList.remove("over");
      const files = [...e.dataTransfer.files];
      const receipt = files.find((f) => f.name.endsWith(".receipt.json"));
      const doc = files.find((f) => f !== receipt);
      const put = (input, f) => { const dt = new DataTransfer(); dt.items.add(f); input.files = dt.files; };
      if (doc) put($("document"), doc);
      if (receipt) put($("receipt"), receipt);
    });
    $("verify-form").addEventListener("submit", submit);
    $("verify-form").addEventListener("reset", () => { clearResult(); $("progress-area").hidden = true; });
    document.body.dataset.ready = "true";
  }

  window.AttestVerify = { hashDocument }; // what the conformance tests drive, as the form does

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
