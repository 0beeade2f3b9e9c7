// `make check-size`, second part: the distinct signatures of the wasm's
// function imports, and a limit on their number. V8 before 12 (Node 20)
// compiles one wrapper with TurboFan per distinct import signature while it
// compiles the module, before the first call returns (~60 us each on the
// bench machine), so each new one costs cold start (issue 6). js/objects.js
// and src/bindings/platform.rs keep the crate's own imports to two shared
// signatures; the rest are wasm-bindgen's. The count is deterministic, so
// this is a check.
//
// Usage: node scripts/import-signatures.mjs <payreq_bg.wasm> <limit>
import fs from "node:fs";
import { leb, readName, skipDesc } from "./wasm-binary.mjs";

const [file, limit] = process.argv.slice(2);
const buf = fs.readFileSync(file);
const TYPES = { 0x7f: "i32", 0x7e: "i64", 0x7d: "f32", 0x7c: "f64", 0x6f: "externref", 0x70: "funcref" };
const types = [];
const uses = new Map(); // signature -> import names
let pos = 8;
while (pos < buf.length) {
  const id = buf[pos];
  const [size, start] = leb(buf, pos + 1);
  let p = start;
  let count;
  if (id === 1) {
    [count, p] = leb(buf, p);
    for (let i = 0; i < count; i++) {
      if (buf[p++] !== 0x60) throw new Error("import-signatures: a type that is not a function type");
      const list = () => {
        let n;
        [n, p] = leb(buf, p);
        return Array.from({ length: n }, () => TYPES[buf[p++]] ?? "?").join(", ");
      };
      const params = list();
      types.push(`(${params}) -> (${list()})`);
    }
  } else if (id === 2) {
    [count, p] = leb(buf, p);
    for (let i = 0; i < count; i++) {
      let name;
      [, p] = readName(buf, p);
      [name, p] = readName(buf, p);
      const kind = buf[p++];
      if (kind === 0) {
        const [type] = leb(buf, p);
        const sig = types[type];
        uses.set(sig, [...(uses.get(sig) ?? []), name]);
      }
      p = skipDesc(buf, kind, p);
    }
  }
  pos = start + size;
}
console.log(`check-size: ${uses.size} distinct signatures among the wasm's function imports (limit ${limit}):`);
for (const [sig, names] of [...uses].sort((a, b) => b[1].length - a[1].length)) {
  console.log(`  ${String(names.length).padStart(2)} x ${sig}`);
}
if (uses.size > Number(limit)) {
  console.error(
    `FAIL: ${uses.size} distinct import signatures, over the limit of ${limit}: give a new import one of the ` +
      "two signatures of js/objects.js (src/bindings/platform.rs) instead of a signature of its own",
  );
  process.exit(1);
}
