/* Organisation history (attest history), a page at a time: newest first, filtered by year and kind. */
(function () {
  "use strict";
  const { api, el, showError } = window.AttestUI;
  const $ = (id) => document.getElementById(id);
  const WHAT = { figures: "ESG figures", statement: "verification statement", file: "document",
    batch: "batch of documents", disclosure: "disclosure commitment" };
  const WHATS = { figures: "ESG figures", statement: "verification statements", file: "documents",
    batch: "batches of documents", disclosure: "disclosure commitments" };
  let current = null; // the query shown: { org, year, kind, page }

  function date(ts) {
    if (ts === null || ts === undefined) return "—";
    return new Date(ts * 1000).toISOString().slice(0, 16).replace("T", " ");
  }

  function standing(a) {
    if (a.current) return el("span", {}, el("span", { class: "mark pass", "aria-hidden": "true" }, "✓ "), "current");
    const word = a.revocation ? `withdrawn: ${a.revocation.reason}` : a.superseded_by ? "replaced by a correction" : a.status;
    return el("span", {}, el("span", { class: "mark fail", "aria-hidden": "true" }, "✗ "), word);
  }

  function more(a) {
    const rows = [
      ["sha256", el("code", {}, a.digest)],
      ["attestation", el("code", {}, a.uid)],
      ["block, transaction", `${a.block_number}, `, el("code", {}, a.transaction_hash)],
      ["status", a.status],
    ];
    if (a.kind === "statement") rows.push(["covers", el("code", {}, a.ref)]);
    else if (a.kind === "disclosure") rows.push(["private data of figures", el("code", {}, a.ref)]);
    else if (!/^0x0+$/.test(a.ref)) rows.push(["restates", el("code", {}, a.ref)]);
    if (a.kind === "figures") {
      rows.push(["covered by", a.covered_by.length
        ? el("ul", {}, ...a.covered_by.map((c) => el("li", {}, `${c.verifier}: ${c.status} `, el("code", {}, c.uid))))
        : "no verification statement"]);
    }
    if (a.uri) rows.push(["URI", a.uri]);
    const dl = el("dl", { class: "facts" });
    for (const [k, ...v] of rows) dl.append(el("dt", {}, k), el("dd", {}, ...v));
    return el("details", {}, el("summary", {}, el("code", {}, a.digest.slice(0, 12) + "…")), dl);
  }

  function table(data) {
    const head = el("tr", {}, ...["Anchored (UTC)", "Year", "What", "Status", "Document"].map((h) => el("th", { scope: "col" }, h)));
    const rows = data.attestations.map((a) => el("tr", { "data-uid": a.uid, class: a.current ? "" : "gone" },
      el("td", { class: "when" }, date(a.anchored_at)), el("td", { class: "year" }, String(a.year)),
      el("td", { class: "what" }, WHAT[a.kind] || a.kind), el("td", {}, standing(a)), el("td", { class: "doc" }, more(a))));
    return el("table", { class: "history", id: "history-table" },
      el("caption", { class: "visually-hidden" }, "Attestations, newest first"), el("thead", {}, head), el("tbody", {}, ...rows));
  }

  function pager(data) {
    const go = (page, text, label) => {
      const b = el("button", { type: "button", class: "secondary", "aria-label": label }, text);
      if (page < 1 || page > data.pages || page === data.page) b.disabled = true;
      b.addEventListener("click", () => load({ ...current, page }));
      return b;
    };
    return el("nav", { class: "pager", "aria-label": "Pages of the history" },
      go(1, "« First", "First page"), go(data.page - 1, "‹ Previous", "Previous page"),
      el("span", { id: "page-of" }, `Page ${data.page.toLocaleString("en")} of ${data.pages.toLocaleString("en")}`),
      go(data.page + 1, "Next ›", "Next page"), go(data.pages, "Last »", "Last page"));
  }

  function fillYears(data) {
    const select = $("year");
    const keep = data.year === null ? "" : String(data.year);
    select.replaceChildren(el("option", { value: "" }, "All years"),
      ...data.years.map((y) => el("option", { value: String(y.year) }, `${y.year} (${y.count.toLocaleString("en")})`)));
    select.value = keep;
  }

  async function load(query) {
    const status = $("status");
    status.textContent = "Reading the registry…";
    const started = performance.now();
    try {
      const q = new URLSearchParams({ org: query.org, page: String(query.page) });
      if (query.year) q.set("year", query.year);
      if (query.kind) q.set("kind", query.kind);
      const data = await api("/api/history?" + q);
      current = { ...query, page: data.page };
      fillYears(data);
      const first = (data.page - 1) * data.per_page + 1;
      const last = first + data.attestations.length - 1;
      const which = [query.year ? `for ${query.year}` : "", query.kind ? `(${WHATS[query.kind]} only)` : ""].filter(Boolean).join(" ");
      const said = data.matching
        ? `${data.organisation} (org #${data.org_id}): ${data.matching.toLocaleString("en")} attestation(s)` +
          (which ? ` ${which}` : "") + ` of ${data.total.toLocaleString("en")}; showing ${first === last ? first : `${first}–${last}`}, newest first.`
        : `${data.organisation} (org #${data.org_id}): no attestation ${which || "at all"}.`;
      $("result-body").replaceChildren(el("p", { id: "history-summary" }, said),
        ...(data.matching ? [pager(data), table(data)] : []));
      $("result").hidden = false;
      status.textContent = "History shown.";
      document.body.dataset.renderMs = String(Math.round(performance.now() - started));
      document.body.dataset.page = String(data.page);
    } catch (err) {
      showError(status, err.message);
    }
  }

  function submit(event) {
    event.preventDefault();
    load({ org: $("org-select").value, year: $("year").value, kind: $("kind").value, page: 1 });
    $("result-heading").focus();
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
