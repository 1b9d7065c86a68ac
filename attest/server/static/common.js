/* Shared by every page: calls to this server's JSON API and check lines with their marks. */
(function (global) {
  "use strict";
  const MARKS = { pass: "✓", fail: "✗", info: "·", warn: "!" };
  const WORDS = { pass: "passed", fail: "failed", info: "information", warn: "warning" };

  async function api(path, body) {
    const init = body === undefined ? {} : {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    };
    let response;
    try {
      response = await fetch(path, init);
    } catch (err) {
      throw new Error("error: the verification server did not answer (" + err.message + ")");
    }
    const data = await response.json().catch(() => ({ error: "error: the server's answer is not JSON" }));
    if (!response.ok) throw new Error(data.error || "error: HTTP " + response.status);
    return data;
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== null && v !== undefined) node.setAttribute(k, v);
    }
    for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return node;
  }

  /* One list item per check: mark, name, detail (the CLI's line, as text, never as markup). With
     `plain` (one short sentence per check, from the server), the sentence is shown and the
     technical detail folded under it. */
  function checkList(checks, plain) {
    const list = el("ol", { class: "checks" });
    checks.forEach((c, i) => {
      const detail = el("span", { class: "detail" }, c.detail);
      // what the line rests on (the file, a proof, one node's block, the node's word), and why
      const rests = c.rests_on
        ? el("span", { class: "rests", title: c.rests_on_detail || "" }, "rests on: " + c.rests_on)
        : null;
      const folded = rests ? [detail, rests] : [detail];
      const body = plain && plain[i] !== undefined
        ? el("details", { class: "more" }, el("summary", { class: "plain" }, plain[i]), ...folded)
        : el("span", { class: "body" }, ...folded);
      list.append(el("li", { class: c.status, "data-check": c.name, "data-status": c.status },
        el("span", { class: "mark", "aria-hidden": "true" }, MARKS[c.status] || "?"),
        el("span", { class: "visually-hidden" }, WORDS[c.status] || c.status, ": "),
        el("span", { class: "name" }, c.name),
        body));
    });
    return list;
  }

  function verdict(ok, text) {
    return el("p", { class: "verdict " + (ok ? "pass" : "fail"), role: "status", id: "verdict" }, text);
  }

  function showError(region, message) {
    region.replaceChildren(el("p", { class: "error", role: "alert" }, message));
  }

  global.AttestUI = { api, el, checkList, verdict, showError, MARKS };
})(window);
