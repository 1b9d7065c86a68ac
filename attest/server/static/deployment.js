/* The deployment: chain, addresses, code verified, manifest sha256, the trusted block. */
(function () {
  "use strict";
  const { api, el, checkList, verdict, showError } = window.AttestUI;
  const $ = (id) => document.getElementById(id);
  const row = (label, ...v) => el("tr", {}, el("th", { scope: "row" }, label), el("td", {}, ...v));

  async function setup() {
    try {
      const d = await api("/api/deployment");
      const p = d.proofs;
      const trusted = p.trusted_block
        ? [`block ${p.trusted_block.number} `, el("code", {}, p.trusted_block.hash),
           p.trusted_block.checkpoint ? ` (checkpoint ${p.trusted_block.checkpoint})` : ` (hash agreed by ${p.trusted_block.agreed.length} node(s))`]
        : ["none: " + (p.unproven || "no node URL")];
      const parts = [
        verdict(d.code_verified && d.bound, d.code_verified && d.bound ? "Code verified: the deployed code is the committed code" : "Code NOT verified"),
        el("table", {},
          row("network", d.network),
          row("chain id", String(d.chain_id)),
          row("manifest sha256", el("code", { id: "manifest-sha256" }, d.manifest_sha256), " ", el("a", { href: "/api/manifest.json", download: d.manifest_name }, "download the manifest")),
          row("registry", el("code", {}, d.contracts.registry.address), ` (deployed in block ${d.contracts.registry.block_number})`),
          row("governance", el("code", {}, d.contracts.governance.address), ` (deployed in block ${d.contracts.governance.block_number})`),
          row("registry bound to", el("code", {}, d.bound_governance), d.bound ? " ✓ the manifest's governance" : " ✗ not the manifest's governance"),
          row("chain head", String(d.head)),
          row("confirmations required", String(d.confirmations)),
          row("trusted block", ...trusted),
          row("registry code proven", p.registry_code || p.unproven || "—")),
        el("h2", {}, "Code checks"),
        checkList(d.code),
      ];
      $("result-body").replaceChildren(...parts);
      $("status").textContent = "";
    } catch (err) {
      showError($("status"), err.message);
    }
    document.body.dataset.ready = "true";
  }
  document.addEventListener("DOMContentLoaded", setup);
})();
