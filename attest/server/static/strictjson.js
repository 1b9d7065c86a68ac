/*
 * Strict JSON and RFC 8785 (JCS) canonical form, in the browser: the same rules as
 * attest.core.strictjson, attest.core.canonical and attest.core.documents, so the digest computed
 * here is the one `attest hash` prints, and every file `attest hash` refuses is refused here too.
 *
 * JSON.parse cannot be used: it keeps the last of two duplicate keys and accepts lone surrogate
 * escapes, so a tampered file could canonicalise like the published one. This parser refuses
 * duplicate keys (compared after unescaping), lone surrogates, NaN/Infinity, numbers that overflow,
 * integers beyond +/-(2^53 - 1) (JCS cannot represent them), nesting deeper than 256, a byte order
 * mark and invalid UTF-8. Objects are kept as Maps (no prototype keys, insertion order irrelevant).
 *
 * Canonical form: object keys sorted by UTF-16 code units (JS string comparison), strings escaped
 * as ECMAScript's JSON.stringify does (RFC 8785 3.2.2.2: \b \t \n \f \r \" \\ and \u00xx for other
 * controls, lowercase hex, everything else as is), numbers by ECMAScript's Number::toString
 * (RFC 8785 3.2.2.3 is defined as exactly that algorithm, which String() implements natively).
 * Shared conformance vectors in tests/conformance/ are checked against both implementations.
 */
(function (global) {
  "use strict";

  const MAX_DEPTH = 256;
  const MAX_JSON_BYTES = 64 * 1024 * 1024;
  const MAX_SAFE = 9007199254740991n;
  const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/y;
  const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
  const STRUCTURED = [
    { label: "figures", prefix: "esg-figures/", schemas: ["esg-figures/1"],
      organisation: ["organisation", "name"], title: "an esg-figures/1 document" },
    { label: "statement", prefix: "carbon-verification/",
      schemas: ["carbon-verification/1", "carbon-verification/2"],
      organisation: ["verifier", "name"], title: "a carbon-verification/1 or /2 statement" },
  ];

  class StrictJSONError extends Error {
    constructor(message, field) {
      super(field ? `field '${field}': ${message}` : message);
      this.name = "StrictJSONError";
      this.detail = message;
      this.field = field || null;
    }
  }

  function quoteText(text) {
    return JSON.stringify(text).replace(/[\u0085\u2028\u2029]/g,
      (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
  }

  function formatPath(parts) {
    let out = "";
    for (const part of parts) {
      if (typeof part === "number") out += `[${part}]`;
      else if (IDENTIFIER.test(part)) out += out ? `.${part}` : part;
      else out += `[${quoteText(part)}]`;
    }
    return out;
  }

  /* The offset of the first byte that is not well-formed UTF-8 (Unicode 3.9, table 3-7), or -1. */
  function invalidUtf8Offset(b) {
    let i = 0;
    while (i < b.length) {
      const c = b[i];
      if (c < 0x80) { i += 1; continue; }
      let need, lo = 0x80, hi = 0xbf;
      if (c >= 0xc2 && c <= 0xdf) need = 1;
      else if (c === 0xe0) { need = 2; lo = 0xa0; }
      else if (c >= 0xe1 && c <= 0xec) need = 2;
      else if (c === 0xed) { need = 2; hi = 0x9f; }
      else if (c >= 0xee && c <= 0xef) need = 2;
      else if (c === 0xf0) { need = 3; lo = 0x90; }
      else if (c >= 0xf1 && c <= 0xf3) need = 3;
      else if (c === 0xf4) { need = 3; hi = 0x8f; }
      else return i;
      for (let k = 1; k <= need; k++) {
        const d = b[i + k];
        if (d === undefined || d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return i;
      }
      i += need + 1;
    }
    return -1;
  }

  function decodeUtf8(bytes) {
    if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
      throw new StrictJSONError("starts with a UTF-8 byte order mark (BOM); JSON must not have one");
    }
    const bad = invalidUtf8Offset(bytes);
    if (bad >= 0) throw new StrictJSONError(`invalid UTF-8 at byte offset ${bad}`);
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  }

  function loneSurrogate(s) {
    for (let k = 0; k < s.length; k++) {
      const c = s.charCodeAt(k);
      if (c >= 0xd800 && c <= 0xdbff) {
        const d = s.charCodeAt(k + 1);
        if (d >= 0xdc00 && d <= 0xdfff) { k++; continue; }
        return true;
      }
      if (c >= 0xdc00 && c <= 0xdfff) return true;
    }
    return false;
  }

  /* Parse JSON text strictly; StrictJSONError (message, field) on anything ambiguous. */
  function parseText(text) {
    const n = text.length;
    let i = 0;

    function fail(msg) {
      let line = 1, col = 1;
      for (let k = 0; k < i && k < n; k++) {
        if (text.charCodeAt(k) === 0x0a) { line++; col = 1; } else col++;
      }
      throw new StrictJSONError(`invalid JSON at line ${line} column ${col}: ${msg}`);
    }
    function ws() {
      while (i < n) {
        const c = text.charCodeAt(i);
        if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
        else break;
      }
    }
    function string(path, isKey) {
      i++; // the opening quote
      let out = "";
      let start = i;
      for (;;) {
        if (i >= n) fail("Unterminated string");
        const c = text.charCodeAt(i);
        if (c === 0x22) {
          out += text.slice(start, i);
          i++;
          break;
        }
        if (c < 0x20) fail("Invalid control character in string");
        if (c !== 0x5c) { i++; continue; }
        out += text.slice(start, i);
        const e = text[i + 1];
        if (e === "u") {
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) { i++; fail("Invalid \\uXXXX escape"); }
          out += String.fromCharCode(parseInt(hex, 16));
          i += 6;
        } else {
          const simple = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" }[e];
          if (simple === undefined) { i++; fail("Invalid \\escape"); }
          out += simple;
          i += 2;
        }
        start = i;
      }
      if (loneSurrogate(out)) {
        const what = isKey ? "object key" : "string";
        throw new StrictJSONError(`${what} contains an unpaired UTF-16 surrogate escape`,
          formatPath(isKey ? [...path, out] : path) || null);
      }
      return out;
    }
    function number(path) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (m === null) fail("Expecting value");
      i = NUMBER.lastIndex;
      const literal = m[0];
      if (m[1] === undefined && m[2] === undefined) {
        const big = BigInt(literal);
        if (big > MAX_SAFE || big < -MAX_SAFE) {
          throw new StrictJSONError(
            "cannot canonicalise: an integer is outside +/-(2**53 - 1); write it as a decimal string",
            formatPath(path) || null);
        }
      }
      const value = Number(literal);
      if (!Number.isFinite(value)) {
        throw new StrictJSONError("number is too large to represent (overflows to infinity)",
          formatPath(path) || null);
      }
      return value;
    }
    function value(depth, path) {
      ws();
      if (i >= n) fail("Expecting value");
      const c = text[i];
      if (c === "{" || c === "[") {
        if (depth + 1 > MAX_DEPTH) {
          throw new StrictJSONError(`JSON is nested more than ${MAX_DEPTH} levels deep`);
        }
        return c === "{" ? object(depth + 1, path) : array(depth + 1, path);
      }
      if (c === '"') return string(path, false);
      for (const [word, v] of [["true", true], ["false", false], ["null", null]]) {
        if (text.startsWith(word, i)) { i += word.length; return v; }
      }
      for (const word of ["NaN", "Infinity", "-Infinity"]) {
        if (text.startsWith(word, i)) {
          throw new StrictJSONError(`${word} is not a JSON number`, formatPath(path) || null);
        }
      }
      if (c === "-" || (c >= "0" && c <= "9")) return number(path);
      fail("Expecting value");
    }
    function object(depth, path) {
      i++;
      const map = new Map();
      ws();
      if (text[i] === "}") { i++; return map; }
      for (;;) {
        ws();
        if (text[i] !== '"') fail("Expecting property name enclosed in double quotes");
        const key = string(path, true);
        ws();
        if (text[i] !== ":") fail("Expecting ':' delimiter");
        i++;
        const v = value(depth, [...path, key]);
        if (map.has(key)) {
          throw new StrictJSONError(`duplicate key ${quoteText(key)}`, formatPath([...path, key]));
        }
        map.set(key, v);
        ws();
        if (text[i] === ",") { i++; continue; }
        if (text[i] === "}") { i++; return map; }
        fail("Expecting ',' delimiter");
      }
    }
    function array(depth, path) {
      i++;
      const out = [];
      ws();
      if (text[i] === "]") { i++; return out; }
      for (;;) {
        out.push(value(depth, [...path, out.length]));
        ws();
        if (text[i] === ",") { i++; continue; }
        if (text[i] === "]") { i++; return out; }
        fail("Expecting ',' delimiter");
      }
    }

    if (text.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "") === "") {
      throw new StrictJSONError("empty document: expected a JSON value");
    }
    const result = value(0, []);
    ws();
    if (i < n) fail("Extra data");
    return result;
  }

  function parseStrict(bytes) {
    return parseText(decodeUtf8(bytes));
  }

  function quote(s) {
    let out = '"';
    for (let k = 0; k < s.length; k++) {
      const c = s.charCodeAt(k);
      if (c === 0x22) out += '\\"';
      else if (c === 0x5c) out += "\\\\";
      else if (c === 0x08) out += "\\b";
      else if (c === 0x09) out += "\\t";
      else if (c === 0x0a) out += "\\n";
      else if (c === 0x0c) out += "\\f";
      else if (c === 0x0d) out += "\\r";
      else if (c < 0x20) out += "\\u" + c.toString(16).padStart(4, "0");
      else out += s[k];
    }
    return out + '"';
  }

  function serialiseNumber(v) {
    if (!Number.isFinite(v)) throw new StrictJSONError("cannot canonicalise: NaN or Infinity");
    return Object.is(v, -0) ? "0" : String(v);
  }

  function byCodeUnits(a, b) {
    return a < b ? -1 : a > b ? 1 : 0;
  }

  /* The RFC 8785 text of a value parsed by parseStrict. */
  function canonicalize(v) {
    if (v === null) return "null";
    if (v === true) return "true";
    if (v === false) return "false";
    if (typeof v === "number") return serialiseNumber(v);
    if (typeof v === "string") return quote(v);
    if (Array.isArray(v)) return "[" + v.map(canonicalize).join(",") + "]";
    if (v instanceof Map) {
      const keys = [...v.keys()].sort(byCodeUnits);
      return "{" + keys.map((k) => quote(k) + ":" + canonicalize(v.get(k))).join(",") + "}";
    }
    throw new StrictJSONError("cannot canonicalise: not a JSON value");
  }

  function canonicalBytes(bytes) {
    return new TextEncoder().encode(canonicalize(parseStrict(bytes)));
  }

  /* Path.suffix as Python computes it (a leading dot is a hidden file, not a suffix). */
  function suffixOf(name) {
    const k = name.lastIndexOf(".");
    return k > 0 && k < name.length - 1 ? name.slice(k).toLowerCase() : "";
  }

  function looksLikeJson(head) {
    let k = 0;
    const skip = new Set([0xef, 0xbb, 0xbf, 0x20, 0x09, 0x0d, 0x0a]);
    while (k < head.length && skip.has(head[k])) k++;
    return head[k] === 0x7b;
  }

  function declared(obj) {
    if (!(obj instanceof Map) || typeof obj.get("schema") !== "string") return null;
    return STRUCTURED.find((t) => obj.get("schema").startsWith(t.prefix)) || null;
  }

  function fieldAt(obj, names) {
    let v = obj;
    for (const name of names) v = v instanceof Map ? v.get(name) : undefined;
    return v;
  }

  /*
   * How `attest hash` digests a file, decided from its name and content (attest.core.documents):
   * {type: "file", rule: "sha256-raw"} for bytes hashed as they are, or a structured document with
   * its canonical bytes and what it says about itself. StrictJSONError when `attest hash` refuses.
   * `read(start, end)` returns a Promise of the file's bytes in [start, end).
   */
  async function plan(name, size, read) {
    const isJson = suffixOf(name) === ".json";
    if (size > MAX_JSON_BYTES) {
      if (isJson) throw new StrictJSONError(`JSON document larger than ${MAX_JSON_BYTES >> 20} MiB`);
      return { type: "file", rule: "sha256-raw" };
    }
    if (!isJson && !looksLikeJson(await read(0, Math.min(size, 64)))) {
      return { type: "file", rule: "sha256-raw" };
    }
    const bytes = await read(0, size);
    let obj;
    try {
      obj = parseStrict(bytes);
    } catch (err) {
      if (isJson) throw err; // a JSON file that is not strict JSON: refused, saying why
      return { type: "file", rule: "sha256-raw" };
    }
    const t = declared(obj);
    if (t === null) return { type: "file", rule: "sha256-raw" };
    if (!t.schemas.includes(obj.get("schema"))) {
      throw new StrictJSONError(
        `unsupported schema ${quoteText(obj.get("schema"))}; expected '${t.schemas.join("' or '")}'`, "schema");
    }
    const organisation = fieldAt(obj, t.organisation);
    if (typeof organisation !== "string" || organisation === "") {
      throw new StrictJSONError(`missing or not a string: not ${t.title}`, t.organisation.join("."));
    }
    const year = obj.get("reporting_year");
    if (!Number.isInteger(year) || year < 1990 || year > 2100) {
      throw new StrictJSONError(`must be a year from 1990 to 2100: not ${t.title}`, "reporting_year");
    }
    const canonical = new TextEncoder().encode(canonicalize(obj));
    return { type: t.label, rule: "sha256-rfc8785", canonical, organisation, year, schema: obj.get("schema") };
  }

  global.AttestJSON = {
    StrictJSONError, parseStrict, parseText, canonicalize, canonicalBytes, plan, suffixOf,
    MAX_DEPTH, MAX_JSON_BYTES,
  };
})(typeof window !== "undefined" ? window : globalThis);
