// Renames the wasm-bindgen imports of payreq_bg.wasm to short names, in the
// wasm and in its glue (payreq.js), consistently: `__wbg_username_53685081ee94088b`
// becomes `a`, and their module `./payreq_bg.js` (named in every import) `w`. The names are only keys between the glue and the wasm, but each
// is spelled twice in what a Worker ships, and their hashes do not compress
// (about 4 KB raw, 1.5 KB gzip of the bundle). The glue's internal exports
// (allocator, closure invokers, externref table) get short names too; the
// API's exports (`paymentclient_*`, `validatePaymentRequest`) and `memory`
// keep theirs: tests and tools know them.
//
// Usage: node scripts/shorten-imports.mjs <dir with payreq_bg.wasm and payreq.js>
import fs from "node:fs";
import path from "node:path";
import { encodeLeb, encodeName, leb, readName, skipDesc } from "./wasm-binary.mjs";

const dir = process.argv[2];
const wasmPath = path.join(dir, "payreq_bg.wasm");
const jsPath = path.join(dir, "payreq.js");
const GLUE_MODULE = "./payreq_bg.js";
const SHORT_MODULE = "w";

const bytes = fs.readFileSync(wasmPath);
let js = fs.readFileSync(jsPath, "utf8");

const ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
function shortName(i) {
  let s = "";
  do {
    s = ALPHABET[i % ALPHABET.length] + s;
    i = Math.floor(i / ALPHABET.length) - 1;
  } while (i >= 0);
  return s;
}
const escape = (s) => s.replace(/[$]/g, "\\$&");

/** Exports the glue reaches only as `wasm.NAME`: renamed to short names. */
const KEEP_EXPORTS = /^(memory|paymentclient_.*|validatePaymentRequest|__wbg_paymentclient_free)$/;
function exportRenames(names) {
  const renames = new Map();
  for (const name of names) {
    if (KEEP_EXPORTS.test(name)) continue;
    const asProperty = new RegExp(`\\.${escape(name)}(?![\\w$])`, "g");
    const viaWasm = new RegExp(`(?<![\\w$])wasm\\.${escape(name)}(?![\\w$])`, "g");
    const uses = js.match(viaWasm)?.length ?? 0;
    // Every property access to it must be `wasm.NAME` (other uses are local names).
    if (uses === 0 || (js.match(asProperty)?.length ?? 0) !== uses) continue;
    renames.set(name, `x${renames.size.toString(36)}`);
  }
  return renames;
}

if (bytes.readUInt32LE(0) !== 0x6d736100) throw new Error(`${wasmPath} is not a wasm module`);
const parts = [bytes.subarray(0, 8)];
let pos = 8, renamed = 0, saved = 0, exportsRenamed = 0;
const unwrapped = []; // { module, name, short } of the snippets' functions imported as they are
while (pos < bytes.length) {
  const id = bytes[pos];
  const [size, start] = leb(bytes, pos + 1);
  const end = start + size;
  if (id === 7) {
    // Exports: name, kind, index.
    let [count, p] = leb(bytes, start);
    const entries = [];
    for (let i = 0; i < count; i++) {
      let name;
      [name, p] = readName(bytes, p);
      const kind = bytes[p];
      const [, after] = leb(bytes, p + 1);
      entries.push([name, bytes.subarray(p, after)]);
      p = after;
    }
    if (p !== end) throw new Error("export section not read to its end");
    const renames = exportRenames(entries.map(([name]) => name));
    for (const [name, short] of renames) {
      js = js.replace(new RegExp(`(?<![\\w$])wasm\\.${escape(name)}(?![\\w$])`, "g"), `wasm.${short}`);
      saved += name.length - short.length;
    }
    const body = Buffer.concat([
      encodeLeb(count),
      ...entries.flatMap(([name, desc]) => [encodeName(renames.get(name) ?? name), desc]),
    ]);
    parts.push(Buffer.from([7]), encodeLeb(body.length), body);
    exportsRenamed = renames.size;
    pos = end;
    continue;
  }
  if (id !== 2) {
    parts.push(bytes.subarray(pos, end));
    pos = end;
    continue;
  }
  let [count, p] = leb(bytes, start);
  const entries = [encodeLeb(count)];
  for (let i = 0; i < count; i++) {
    let module, name;
    [module, p] = readName(bytes, p);
    [name, p] = readName(bytes, p);
    const kind = bytes[p];
    const descEnd = skipDesc(bytes, kind, p + 1);
    const desc = bytes.subarray(p, descEnd);
    p = descEnd;
    if (module === GLUE_MODULE) {
      module = SHORT_MODULE;
      // The glue defines each import once, as a key of its imports object.
      const key = new RegExp(`(?<![\\w$])${escape(name)}(?![\\w$])`, "g");
      const uses = js.match(key)?.length ?? 0;
      if (uses !== 1) throw new Error(`${name}: expected one use in payreq.js, found ${uses}`);
      const short = shortName(renamed++);
      js = js.replace(key, short);
      saved += name.length - short.length;
      name = short;
    } else if (module.startsWith("./snippets/") && kind === 0) {
      // A snippet's function wasm-bindgen hands to the wasm as it is (one
      // that needs no conversion, such as `now()`): moved into the glue's
      // module under a short name (see below).
      const short = shortName(renamed++);
      unwrapped.push({ module, name, short });
      saved += module.length + name.length - SHORT_MODULE.length - short.length;
      module = SHORT_MODULE;
      name = short;
    }
    entries.push(encodeName(module), encodeName(name), desc);
  }
  if (p !== end) throw new Error("import section not read to its end");
  const body = Buffer.concat(entries);
  parts.push(Buffer.from([2]), encodeLeb(body.length), body);
  pos = end;
}
// The glue's imports object names the module once, as a key.
const moduleKey = JSON.stringify(GLUE_MODULE) + ":";
if (js.split(moduleKey).length !== 2) throw new Error(`expected one ${moduleKey} in payreq.js`);
js = js.replace(moduleKey, `${SHORT_MODULE}:`);
// wasm-bindgen gives each unwrapped function a namespace import of its snippet
// (`import * as import1 from "./snippets/..."`) and a key of the imports
// object, the same module under the same key for each: bundlers warn of the
// duplicate keys, and build a namespace object of every export of the
// snippet for them (+200 B gzip in a Worker). Instead the glue imports each
// by name and hands it to the wasm as one more function of its module.
const reEscape = (t) => t.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
for (const [line, id, quoted] of [...js.matchAll(/^import \* as (import\d+) from ("[^"\n]+");?\n/gm)]) {
  const module = JSON.parse(quoted);
  if (!unwrapped.some((u) => u.module === module)) throw new Error(`${id}: a namespace import of ${module}, which has no unwrapped import`);
  const key = new RegExp(`^ *${reEscape(quoted)}: ${id},\n`, "m");
  if (!key.test(js)) throw new Error(`${id}: its key in the imports object not found in payreq.js`);
  js = js.replace(line, "").replace(key, "");
  if (new RegExp(`(?<![\\w$])${id}(?![\\w$])`).test(js)) throw new Error(`${id}: still used in payreq.js`);
}
if (unwrapped.length) {
  const head = "const import0 = {\n        __proto__: null,\n";
  if (js.split(head).length !== 2) throw new Error("payreq.js: the glue's imports object not found");
  const local = (u) => `__wbg_snippet_${u.name}`;
  js = js.replace(head, head + unwrapped.map((u) => `        ${u.short}: ${local(u)},\n`).join(""));
  const imports = unwrapped.map((u) => `import { ${u.name} as ${local(u)} } from ${JSON.stringify(u.module)};\n`);
  js = js.replace(/^((?:\/\*.*\*\/\n)?)/, `$1${imports.join("")}`);
}
fs.writeFileSync(wasmPath, Buffer.concat(parts));
fs.writeFileSync(jsPath, js);
console.log(
  `shorten-imports: ${renamed} imports and ${exportsRenamed} exports renamed, ${saved} bytes fewer in the wasm and about as many in the glue`,
);
