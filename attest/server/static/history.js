/* Organisation history by year (attest history). */
(function () {
  "use strict";
  const { api, el, showError } = window.AttestUI;
  const $ = (id) => document.getElementById(id);

  function row(label, ...value) {
    return el("tr", {}, el("th", { scope: "row" }, label), el("td", {}, ...value));
  }

  function entry(a) {
    const rows = [
      row("kind", a.kind),
      row("status", el("span", { class: a.current ? "mark pass" : "mark fail" }, a.current ? "✓ " : "✗ "), a.status),
      row("digest", el("code", {}, "sha256 " + a.digest)),
      row("attestation", el("code", {}, a.uid)),
      row("block, transaction", `${a.block_number}, `, el("code", {}, a.transaction_hash)),
    ];
    if (a.kind === "statement") rows.push(row("covers", el("code", {}, a.ref)));
    else if (!/^0x0+$/.test(a.ref)) rows.push(row("restates", el("code", {}, a.ref)));
    if (a.kind === "figures") {
      rows.push(row("covered by", a.covered_by.length
        ? el("ul", {}, ...a.covered_by.map((c) => el("li", {}, `${c.verifier}: ${c.status} `, el("code", {}, c.uid))))
        : "no verification statement"));
    }
    const known = new Set(["uid", "digest", "kind", "year", "ref", "uri", "attester", "block_number",
      "transaction_hash", "status", "current", "superseded_by", "revocation", "covered_by"]);
    for (const [k, v] of Object.entries(a)) {  // rows other versions add (e.g. neutrality)
      if (!known.has(k) && v !== null) rows.push(row(k.replace(/_/g, " "), typeof v === "object" ? JSON.stringify(v) : String(v)));
    }
    return el("table", {}, el("caption", { class: "visually-hidden" }, `${a.kind} ${a.year}`), ...rows);
  }

  async function submit(event) {
    event.preventDefault();
    const status = $("status");
    const org = $("org-select").value;
    const year = $("year").value.trim();
    if (year && !/^[0-9]{4}$/.test(year)) { showError(status, "error: field 'year': must be a year"); return; }
    status.textContent = "Reading the registry…";
    try {
      const q = new URLSearchParams({ org });
      if (year) q.set("year", year);
      const data = await api("/api/history?" + q);
      const parts = [el("p", {}, `${data.organisation} (org #${data.org_id}): ${data.attestations.length} attestation(s)` + (year ? ` for ${year}` : ""))];
      for (const y of data.by_year) {
        parts.push(el("h3", {}, String(y.year)));
        for (const a of y.attestations) parts.push(entry(a));
      }
      $("result-body").replaceChildren(...parts);
      $("result").hidden = false;
      status.textContent = "History shown.";
      $("result-heading").focus();
    } catch (err) {
      showError(status, err.message);
    }
  }

  async function setup() {
    $("history-form").addEventListener("submit", submit);
    try {
      const orgs = await api("/api/organisations");
      $("org-select").replaceChildren(...orgs.map((o) => el("option", { value: String(o.org_id) }, `${o.name} (#${o.org_id})`)));
    } catch (err) {
      showError($("status"), err.message);
    }
    document.body.dataset.ready = "true";
  }
  document.addEventListener("DOMContentLoaded", setup);
})();
