/* The disclosure proof checker (attest verify-disclosure). */
(function () {
  "use strict";
  const { api, el, checkList, verdict, showError } = window.AttestUI;
  const J = window.AttestJSON;
  const $ = (id) => document.getElementById(id);

  async function read(input) {
    const file = input.files[0];
    if (!file) return null;
    if (file.size > 1 << 20) throw new Error(`error: ${file.name}: larger than 1 MiB`);
    const bytes = new Uint8Array(await file.arrayBuffer());
    try { J.parseStrict(bytes); } catch (err) { throw new Error(`error: ${file.name}: ${err.message} — refused in this browser`); }
    return { name: file.name, text: new TextDecoder().decode(bytes) };
  }

  async function submit(event) {
    event.preventDefault();
    const status = $("status");
    $("result").hidden = true;
    try {
      const proof = await read($("proof"));
      if (!proof) throw new Error("error: choose a disclosure proof");
      const statement = await read($("statement"));
      status.textContent = "Checking against the registry…";
      const r = await api("/api/disclosure", { proof, statement });
      const m = r.metric || {};
      $("result-body").replaceChildren(
        verdict(r.verified, r.verified ? "VERIFIED" : "NOT VERIFIED"),
        el("p", {}, `${m.code || "?"}: ${m.value ?? "?"} ${m.unit || ""}` + (r.audited_by ? ` — tree audited by ${r.audited_by}` : "")),
        checkList(r.checks));
      $("result").hidden = false;
      document.body.dataset.verdict = r.verified ? "verified" : "not-verified";
      status.textContent = r.verified ? "Verified." : "Not verified.";
      $("result-heading").focus();
    } catch (err) {
      showError(status, err.message);
    }
  }
  document.addEventListener("DOMContentLoaded", () => {
    $("disclosure-form").addEventListener("submit", submit);
    document.body.dataset.ready = "true";
  });
})();
