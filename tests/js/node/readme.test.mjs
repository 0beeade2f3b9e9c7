// Keeps the npm README (pkg-template/README.md, read here from the installed
// tarball) honest: its error table is what the package throws, row by row,
// against the sandbox; its API reference names every export and member of the
// packed declarations; its tables of options and fields match the interfaces
// exactly; its validation codes are the FieldErrorCode union.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as payreq from "payreq";
import { startSandbox, CLIENT_ID, CLIENT_SECRET } from "../support/sandbox.mjs";

const { PaymentClient } = payreq;
const pkg = path.dirname(fileURLToPath(import.meta.resolve("payreq")));
const read = (file) => readFileSync(path.join(pkg, file), "utf8");
const readme = read("README.md");
// Started before any test is declared, so that its stop hook runs after them all.
const sandbox = await startSandbox(["--rate-limit", "1000"]);
const options = { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, baseUrl: sandbox.url, rateLimit: 0 };
const client = new PaymentClient(options);

/** The text of `## title` up to the next `## ` heading (of the npm README unless `text` is given). */
function section(title, text = readme) {
  const start = text.indexOf(`\n## ${title}\n`);
  assert.ok(start >= 0, `the README has a "## ${title}" section`);
  const end = text.indexOf("\n## ", start + 1);
  return text.slice(start, end < 0 ? undefined : end);
}

/** The body rows (arrays of trimmed cells) of the table whose header row starts with `| first |`. */
function table(text, first) {
  const lines = text.split("\n");
  const at = lines.findIndex((l) => l.startsWith(`| ${first} |`));
  assert.ok(at >= 0, `a table with a "${first}" column`);
  assert.match(lines[at + 1], /^\|(---\|)+$/);
  const rows = [];
  for (const line of lines.slice(at + 2)) {
    if (!line.startsWith("|")) break;
    rows.push(line.slice(1, -1).split("|").map((c) => c.trim()));
  }
  return rows;
}

const unquote = (cell) => cell.replace(/^`|`$/g, "");
/** Inline code spans, and the contents of fenced blocks. */
function codeSpans(text) {
  const fences = [...text.matchAll(/^```.*\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
  const rest = text.replace(/^```.*\n[\s\S]*?^```$/gm, "");
  return [...fences, ...[...rest.matchAll(/`([^`\n]+)`/g)].map((m) => m[1])];
}
const literals = (text) => [...text.matchAll(/"([a-z_]+)"/g)].map((m) => m[1]);
const sorted = (xs) => [...new Set(xs)].sort();

// ---- the declarations of the packed package ----
// Comments dropped: a JSDoc `{ a?, b? }` would end a member list early.
const uncomment = (text) => text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
const dts = Object.fromEntries(
  ["node", "workerd", "deno", "browser", "errors", "payreq"].map((f) => [f, uncomment(read(`${f}.d.ts`))]),
);

/** `export type NAME = ...;` of a declaration file. */
function typeAlias(file, name) {
  const m = new RegExp(`export type ${name} =([^;]*);`).exec(dts[file]);
  assert.ok(m, `${file}.d.ts declares ${name}`);
  return m[1];
}

/** The string literals of a union alias, expanding the aliases it names (`ErrorCode` names `ApiErrorCode`). */
function union(file, name) {
  const text = typeAlias(file, name);
  const named = [...text.replace(/"[^"]*"/g, "").matchAll(/\b([A-Z]\w*)\b/g)].map((m) => m[1]);
  return [...literals(text), ...named.flatMap((n) => union(file, n))];
}

/** The members of `export (interface|class) NAME ... { ... }` (no nested braces in these bodies). */
function members(file, name) {
  const m = new RegExp(`export (?:interface|class) ${name}\\b[^{]*\\{([^}]*)\\}`).exec(dts[file]);
  assert.ok(m, `${file}.d.ts declares ${name}`);
  return [...m[1].matchAll(/^\s*(?:readonly\s+)?(\[[\w.]+\]|\w+)\??\s*[:(]/gm)]
    .map((x) => x[1].replace(/^\[|\]$/g, ""))
    .filter((n) => n !== "constructor");
}

/** Every name an entry's declarations export, following `export *` and `export type *`. */
function exportedNames(file) {
  const text = dts[file];
  const names = [];
  for (const m of text.matchAll(/^export (?:type )?\{([^}]*)\}/gm)) {
    names.push(...m[1].split(",").map((n) => n.trim().split(/\s+as\s+/).pop()).filter(Boolean));
  }
  for (const m of text.matchAll(/^export (?:declare )?(?:type|interface|class|function|const) (\w+)/gm)) names.push(m[1]);
  for (const m of text.matchAll(/^export (?:type )?\* from "\.\/(\w+)\.js"/gm)) names.push(...exportedNames(m[1]));
  return names;
}

// wasm-bindgen's glue, re-exported as types by `export type *`: the README names
// them as not part of the API, and their members are not documented.
const GLUE = ["InitInput", "InitOutput", "SyncInitInput", "initSync", "__wbg_reset_state"];

test("the README is the one shipped in the tarball, with every section the package promises", () => {
  assert.equal(JSON.parse(read("package.json")).name, "payreq");
  for (const title of ["Install", "Quick start", "API reference", "Errors", "Validation rules", "Amount", "Security", "Runtimes"]) {
    section(title);
  }
  const quick = section("Quick start");
  for (const runtime of ["Cloudflare Workers", "Node (ESM and CommonJS)", "Deno", "Bun", "Browsers: validation only"]) {
    assert.ok(quick.includes(`\n### ${runtime}\n`), `a quick start for ${runtime}`);
  }
});

test("the API reference names every export of every entry's declarations, and every member", () => {
  const api = section("API reference");
  const spans = codeSpans(api).join("\n");
  const named = (name) => new RegExp(`(^|[^\\w$])${name.replace(/[.$]/g, "\\$&")}($|[^\\w$])`, "m").test(spans);
  const entries = ["node", "workerd", "deno", "browser"];
  const all = sorted(entries.flatMap(exportedNames));
  assert.ok(all.includes("PaymentClient") && all.includes("ValidationError") && all.includes("init"), all.join(", "));
  const missing = all.filter((n) => !named(n));
  assert.deepEqual(missing, [], `exported but not in the API reference: ${missing.join(", ")}`);

  // The members of every documented interface and class.
  const types = [...dts.payreq.matchAll(/^export (interface|class) (\w+)/gm)].map((m) => ["payreq", m[2]]);
  const errors = [...dts.errors.matchAll(/^export class (\w+)/gm)].map((m) => ["errors", m[1]]);
  const unnamed = [];
  for (const [file, name] of [...types, ...errors]) {
    if (GLUE.includes(name)) continue;
    for (const member of members(file, name)) if (!named(member)) unnamed.push(`${name}.${member}`);
  }
  assert.deepEqual(unnamed, [], `members not in the API reference: ${unnamed.join(", ")}`);
  assert.ok(named("Symbol.dispose") && named("free"), "PaymentClient's methods were found");

  // Every PaymentStatus literal, quoted as a string.
  for (const status of literals(typeAlias("payreq", "PaymentStatus"))) assert.ok(api.includes(`"${status}"`), status);
  // Every ApiErrorCode, listed.
  for (const code of literals(typeAlias("errors", "ApiErrorCode"))) assert.ok(named(code), code);
});

test("the option and field tables list exactly the members of their interfaces", () => {
  const api = section("API reference");
  const firstColumn = (first) => sorted(table(api, first).map((r) => unquote(r[0])));
  const textOf = (heading) => api.slice(api.indexOf(heading), api.indexOf("\n### ", api.indexOf(heading) + 1));
  assert.deepEqual(firstColumn("option"), sorted(members("payreq", "ClientOptions")));
  assert.deepEqual(firstColumn("field"), sorted(members("payreq", "PaymentRequestInput")));
  const call = textOf("### `client.getPaymentRequest");
  assert.deepEqual(sorted(table(call, "option").map((r) => unquote(r[0]))), sorted(members("payreq", "CallOptions")));
  const resource = textOf("### `PaymentRequest`");
  assert.deepEqual(sorted(table(resource, "field").map((r) => unquote(r[0]))), sorted(members("payreq", "PaymentRequest")));
});

test("the validation rules list exactly the FieldErrorCode union", () => {
  const rows = table(section("Validation rules"), "field");
  const documented = sorted(rows.flatMap((r) => codeSpans(r[2])));
  assert.deepEqual(documented, sorted(literals(typeAlias("payreq", "FieldErrorCode"))));
});

// The repository's docs repeat both tables for contributors (docs/validation.md,
// docs/errors.md); they must not fall behind.
const repoFile = (file) => readFileSync(fileURLToPath(new URL(`../../../${file}`, import.meta.url)), "utf8");

test("the repository's docs list exactly the FieldErrorCode union and the ErrorCode union", () => {
  const rows = table(section("Validation rules (client-side, before any network call)", repoFile("docs/validation.md")), "field");
  assert.deepEqual(sorted(rows.flatMap((r) => codeSpans(r[2]))), sorted(literals(typeAlias("payreq", "FieldErrorCode"))));
  const errors = table(section("Classes and codes", repoFile("docs/errors.md")), "status");
  assert.deepEqual(sorted(errors.map((r) => unquote(r[2]))), sorted(union("errors", "ErrorCode")));
});

// ---- the repository's relative links ----
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const FENCED = /^```.*\n[\s\S]*?^```$/gm;

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");

/** The anchors of a markdown file's headings (a repeated heading gets -1, -2, ...). */
function anchors(text) {
  const seen = new Map();
  const all = new Set();
  for (const [, heading] of text.replace(FENCED, "").matchAll(/^#{1,6} (.+)$/gm)) {
    const base = slug(heading);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    all.add(n ? `${base}-${n}` : base);
  }
  return all;
}

test("every relative link of README.md and docs/*.md resolves, to a file and a heading", () => {
  const docs = readdirSync(path.join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`);
  const broken = [];
  let links = 0;
  for (const file of ["README.md", ...docs]) {
    const text = readFileSync(path.join(ROOT, file), "utf8").replace(FENCED, "").replace(/`[^`\n]+`/g, "");
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
      links++;
      const [where, anchor] = target.split("#");
      const resolved = where ? path.join(ROOT, path.dirname(file), where) : path.join(ROOT, file);
      if (!existsSync(resolved)) broken.push(`${file}: ${target} (no such file)`);
      else if (anchor && resolved.endsWith(".md") && !anchors(readFileSync(resolved, "utf8")).has(anchor)) {
        broken.push(`${file}: ${target} (no such heading)`);
      }
    }
  }
  assert.ok(links >= 20, `only ${links} relative links found: is the pattern still right?`);
  assert.deepEqual(broken, []);
});

// ---- the error table against the package ----
const errorRows = table(section("Errors"), "when").map(([when, cls, code, status, retryable, hint]) => ({
  when, cls: unquote(cls), code: unquote(code), status, retryable, hint,
}));

test("the error table's codes are the ErrorCode union and its classes are the package's error classes", () => {
  assert.deepEqual(sorted(errorRows.map((r) => r.code)), sorted(union("errors", "ErrorCode")));
  const classes = Object.entries(payreq).filter(([, v]) => typeof v === "function" && v.prototype instanceof Error);
  assert.deepEqual(sorted([...new Set([...errorRows.map((r) => r.cls), "PayreqError"])]), sorted(classes.map(([n]) => n)));
  // A class that narrows `code` in errors.d.ts has exactly those codes in the table.
  for (const [, name, body] of dts.errors.matchAll(/export class (\w+) extends \w+ \{([^}]*)\}/g)) {
    const m = /^\s*code: ([^;]*);/m.exec(body);
    if (!m || !m[1].includes('"')) continue;
    const inTable = sorted(errorRows.filter((r) => r.cls === name).map((r) => r.code));
    assert.deepEqual(inTable, sorted(literals(m[1])), name);
  }
});

const order = { amount: 1999, currency: "USD", redirectUrl: "https://shop.example/return" };
const UNKNOWN = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
const rejection = (promise) => promise.then((v) => assert.fail(`resolved with ${JSON.stringify(v)}`), (e) => e);
let pr; // a payment request to read back
const get = async (fault, call = {}) => {
  if (fault) await sandbox.fault({ path: "/payment/request/*", method: "GET", count: 1, kind: "status", ...fault });
  return client.getPaymentRequest(pr.id, { maxRetries: 0, ...call });
};
/** A port nothing listens on: bound, then closed. */
async function closedPort() {
  const { createServer } = await import("node:net");
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A read through a server that redirects every request with `status` (the sandbox has no such fault). */
async function redirected(status) {
  const { createServer } = await import("node:http");
  const server = createServer((req, res) => res.writeHead(status, { location: "https://elsewhere.example/x" }).end());
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const baseUrl = `http://127.0.0.1:${server.address().port}`;
    return await new PaymentClient({ ...options, baseUrl }).getPaymentRequest(UNKNOWN, { maxRetries: 0 });
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

// How to cause each row, keyed by its "when" cell: [expected status, a call that rejects].
const TRIGGERS = {
  "invalid input or options": [
    [null, () => client.createPaymentRequest({ ...order, amount: 19.99 })],
    [null, () => client.getPaymentRequest("../x")],
  ],
  400: [[400, () => get({ status: 400 })]],
  "401 again after a fresh token": [[401, () => get({ status: 401, count: 2 })]],
  "403 from the token endpoint": [
    [403, () => new PaymentClient({ ...options, clientSecret: "not-the-secret" }).getPaymentRequest(UNKNOWN)],
  ],
  "403 from a payment call": [[403, () => get({ status: 403 })]],
  404: [[404, () => client.getPaymentRequest(UNKNOWN)]],
  409: [[409, async () => {
    const idempotencyKey = `readme-${crypto.randomUUID()}`;
    await client.createPaymentRequest(order, { idempotencyKey });
    return client.createPaymentRequest({ ...order, amount: 2000 }, { idempotencyKey });
  }]],
  422: [[422, () => client.createPaymentRequest({ ...order, currency: "XCG" })]],
  429: [[429, () => get({ status: 429, retry_after: "1" })]],
  "500, 502, 503, 504": [500, 502, 503, 504].map((status) => [status, () => get({ status })]),
  "any other 5xx": [501, 505].map((status) => [status, () => get({ status })]),
  "any other non-2xx status": [405, 418].map((status) => [status, () => get({ status })]),
  "a redirect (3xx), never followed": [301, 302, 303, 307, 308].map((status) => [status, () => redirected(status)]),
  "a response that is not the documented JSON, or whose body was cut off": [
    [200, () => get({ kind: "non_json" })],
    [200, () => get({ kind: "truncated" })],
  ],
  "no response (refused, reset, DNS, TLS)": [
    [null, () => get({ kind: "reset_before" })],
    [null, async () => new PaymentClient({ ...options, baseUrl: `http://127.0.0.1:${await closedPort()}` }).getPaymentRequest(UNKNOWN, { maxRetries: 0 })],
  ],
  "no response within `timeoutMs` / `totalTimeoutMs`": [
    [null, () => get({ kind: "delay", delay_ms: 2000 }, { timeoutMs: 100 })],
    [null, () => get({ kind: "delay", delay_ms: 2000 }, { totalTimeoutMs: 100 })],
  ],
  "the caller's `signal` fired": [[null, () => get(null, { signal: AbortSignal.abort(new Error("changed my mind")) })]],
  "payreq's WebAssembly instance failed during the call (a trap: the `cause`); a create already sent has `outcomeUnknown` and its `idempotencyKey`": [
    [null, async () => {
      // A host function that throws a RuntimeError through the wasm is what a trap looks like to the driver.
      const realNow = Date.now;
      Date.now = () => {
        throw new WebAssembly.RuntimeError("injected: the clock trapped");
      };
      try {
        return await client.getPaymentRequest(pr.id);
      } finally {
        Date.now = realNow;
      }
    }],
  ],
  "a call on a client after `free()` (or `using`)": [[null, () => {
    const freed = new PaymentClient(options);
    freed.free();
    return freed.getPaymentRequest(UNKNOWN);
  }]],
};

test("every row of the error table is what the package throws: class, code, status, retryable, hint", async () => {
  pr = await client.createPaymentRequest(order);
  const rows = errorRows.map((r) => r.when);
  assert.deepEqual(sorted(rows), sorted(Object.keys(TRIGGERS)), "one trigger per row, one row per trigger");
  for (const row of errorRows) {
    for (const [status, cause] of TRIGGERS[row.when]) {
      const err = await rejection(cause());
      await sandbox.control("DELETE", "/_sandbox/faults"); // nothing left over for the next row
      const what = `${row.when} (${status}): ${err?.name}: ${err?.message}`;
      assert.ok(err instanceof payreq[row.cls] && err instanceof payreq.PayreqError, what);
      assert.equal(err.name, row.cls, what);
      assert.equal(err.code, row.code, what);
      assert.equal(err.status, status, what);
      assert.ok(row.status === "`null`" ? status === null : row.status === "the HTTP status" || row.status === `\`${status}\``, `${what}: status cell ${row.status}`);
      assert.equal(err.retryable, { yes: true, no: false }[row.retryable], what);
      assert.equal(err.hint, row.hint, what);
      assert.equal(err.outcomeUnknown, false, what);
    }
  }
});

test("the outcome-unknown table is what a create that may have happened throws", async () => {
  const [row, ...rest] = table(section("Errors"), "create whose outcome is unknown");
  assert.equal(rest.length, 0);
  const [, outcome, key, retryable, hint] = row;
  assert.equal(outcome, "`true`");
  assert.match(key, /key every attempt was sent with/);
  const causes = [
    ["ServerError", () => sandbox.fault({ path: "/payment/request", method: "POST", kind: "status", status: 500 })],
    ["NetworkError", () => sandbox.fault({ path: "/payment/request", method: "POST", kind: "reset_after" })],
    ["DecodeError", () => sandbox.fault({ path: "/payment/request", method: "POST", kind: "non_json" })],
  ];
  for (const [cls, fault] of causes) {
    await fault();
    const idempotencyKey = `readme-${crypto.randomUUID()}`;
    const err = await rejection(client.createPaymentRequest(order, { idempotencyKey, maxRetries: 0 }));
    assert.equal(err.name, cls, err.message);
    assert.equal(err.code, errorRows.find((r) => r.cls === cls).code);
    assert.equal(err.outcomeUnknown, true);
    assert.equal(err.idempotencyKey, idempotencyKey);
    assert.equal(err.retryable, retryable === "yes");
    assert.equal(err.hint, hint);
  }
});

test("the Node quick start runs as written against the sandbox", async () => {
  const quick = section("Quick start");
  const node = quick.slice(quick.indexOf("\n### Node"));
  const code = /```js\n([\s\S]*?)```/.exec(node)[1];
  // Run from tests/js so that "payreq" resolves to the installed tarball; removed afterwards.
  const { writeFileSync, rmSync } = await import("node:fs");
  const { execFileSync } = await import("node:child_process");
  const file = fileURLToPath(new URL(`../.readme-quickstart-${process.pid}.mjs`, import.meta.url));
  writeFileSync(file, code);
  try {
    const out = execFileSync(process.execPath, [file], {
      env: { ...process.env, PAYREQ_CLIENT_ID: CLIENT_ID, PAYREQ_CLIENT_SECRET: CLIENT_SECRET, PAYREQ_BASE_URL: sandbox.url },
      encoding: "utf8",
    });
    // The snippet's catch prints the ValidationError's errors, as its comment shows.
    assert.match(out, /field: 'amount',\s+code: 'amount_fraction'/);
    assert.match(code, /code: "amount_fraction", message: "amount must be a whole number in the smallest unit of USD: /);
  } finally {
    rmSync(file, { force: true });
  }
});

after(() => client.free());
