// Where the wasm's bytes go (issue 6: "know where the bytes go"), without a
// tool to install: rebuilds target/wasm-bindgen/payreq_bg.wasm with the same
// wasm-opt passes as scripts/build-package.sh but keeping the name section
// (`-g`), reads the code, data and name sections itself, and prints the code
// bytes per Rust module (raw and gzip -9 of that module's function bodies
// together), the data segments, and the largest functions.
//
// Usage: node scripts/size-report.mjs [--top N] [--json FILE]
// (after `make build`; `make size-report` does both). Sizes are of the
// function bodies in a -g build: the shipped wasm has the same code, without
// the names, and with shortened import names (scripts/shorten-imports.mjs).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { leb as lebAt, readName, skipDesc } from "./wasm-binary.mjs";

const ROOT = path.join(path.dirname(new URL(import.meta.url).pathname), "..");
const args = process.argv.slice(2);
const top = Number(args[args.indexOf("--top") + 1] || 0) || 15;
const jsonOut = args.includes("--json") ? args[args.indexOf("--json") + 1] : undefined;

// The optimisation passes of scripts/build-package.sh, plus -g.
const input = path.join(ROOT, "target/wasm-bindgen/payreq_bg.wasm");
if (!fs.existsSync(input)) {
  console.error(`size-report: ${input} is missing: run make build first`);
  process.exit(1);
}
const named = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "payreq-size-")), "named.wasm");
const script = fs.readFileSync(path.join(ROOT, "scripts/build-package.sh"), "utf8");
const line = script.split("\n").findIndex((l) => l.startsWith("wasm-opt "));
if (line < 0) throw new Error("size-report: no wasm-opt line in scripts/build-package.sh");
// The wasm-opt command of build-package.sh with its continuation lines, minus input and output.
let command = "";
for (let i = line; ; i++) {
  const l = script.split("\n")[i];
  command += l.replace(/\\$/, " ");
  if (!l.endsWith("\\")) break;
}
// Every word but the command, the input and `-o` with the output (option
// values such as `-ocimfs 25` stay).
const words = command.split(/\s+/).filter((w) => w && w !== "wasm-opt");
const flags = words.filter((w, i) => !w.endsWith(".wasm") && w !== "-o" && words[i - 1] !== "-o");
execFileSync("wasm-opt", [...flags, "-g", input, "-o", named], { stdio: ["ignore", "ignore", "inherit"] });

const bytes = fs.readFileSync(named);
fs.rmSync(path.dirname(named), { recursive: true, force: true });

const leb = (pos) => lebAt(bytes, pos);

// Sections: imports (to count imported functions), code (bodies), data, name.
let importedFunctions = 0;
const bodies = []; // [start, end) of each defined function's body
const dataSegments = [];
const names = new Map();
let pos = 8;
while (pos < bytes.length) {
  const id = bytes[pos];
  let size;
  [size, pos] = leb(pos + 1);
  const end = pos + size;
  if (id === 2) {
    let [count, p] = leb(pos);
    for (let i = 0; i < count; i++) {
      [, p] = readName(bytes, p); // module
      [, p] = readName(bytes, p); // name
      const kind = bytes[p++];
      if (kind === 0) importedFunctions++;
      p = skipDesc(bytes, kind, p);
    }
  } else if (id === 10) {
    let count;
    let p;
    [count, p] = leb(pos);
    for (let i = 0; i < count; i++) {
      let len;
      [len, p] = leb(p);
      bodies.push([p, p + len]);
      p += len;
    }
  } else if (id === 11) {
    let count;
    let p;
    [count, p] = leb(pos);
    for (let i = 0; i < count; i++) {
      const flags = bytes[p++];
      if (flags === 2) [, p] = leb(p);
      if (flags !== 1) {
        // An offset expression: read up to its `end` (0x0b).
        while (bytes[p] !== 0x0b) p++;
        p++;
      }
      let len;
      [len, p] = leb(p);
      dataSegments.push(bytes.subarray(p, p + len));
      p += len;
    }
  } else if (id === 0) {
    let len;
    let p;
    [len, p] = leb(pos);
    const name = bytes.subarray(p, p + len).toString("utf8");
    p += len;
    if (name === "name") {
      while (p < end) {
        const sub = bytes[p];
        let subSize;
        [subSize, p] = leb(p + 1);
        const subEnd = p + subSize;
        if (sub === 1) {
          let count;
          let q;
          [count, q] = leb(p);
          for (let i = 0; i < count; i++) {
            let index;
            let nameLen;
            [index, q] = leb(q);
            [nameLen, q] = leb(q);
            names.set(index, bytes.subarray(q, q + nameLen).toString("utf8"));
            q += nameLen;
          }
        }
        p = subEnd;
      }
    }
  }
  pos = end;
}
if (bodies.length === 0) throw new Error("size-report: no code section");

/** The Rust module a function belongs to: `payreq::client`, `core::ptr`, or what the export is. */
function moduleOf(name) {
  if (name === undefined) return "(unnamed)";
  if (/ shim\b/.test(name)) return "(export shims: wasm-bindgen argument conversion)";
  let path = name.replace(/\[[0-9a-f]+\]/g, "");
  if (path.startsWith("<")) {
    // `<X as Y>::f`: X's module, or Y's when X is no path (`&[char]`, `T`, `u32`).
    let depth = 0;
    let close = 0;
    for (let i = 0; i < path.length; i++) {
      if (path[i] === "<") depth++;
      else if (path[i] === ">" && --depth === 0) {
        close = i;
        break;
      }
    }
    const inner = path.slice(1, close);
    let split = -1;
    depth = 0;
    for (let i = 0; i < inner.length; i++) {
      if (inner[i] === "<") depth++;
      else if (inner[i] === ">") depth--;
      else if (depth === 0 && inner.startsWith(" as ", i)) split = i;
    }
    const self = split < 0 ? inner : inner.slice(0, split);
    path = /^[a-z_][a-z0-9_]*::/.test(self) || split < 0 ? self : inner.slice(split + 4);
  }
  const parts = path.replace(/<[^>]*>/g, "").split("::");
  if (parts.length < 2) return name.startsWith("__") ? "(wasm-bindgen runtime)" : "(other)";
  return `${parts[0]}::${parts[1]}`.replace(/ .*$/, "");
}

const gzip = (buffers) => zlib.gzipSync(Buffer.concat(buffers), { level: 9 }).length;
const groups = new Map();
const functions = [];
bodies.forEach(([start, end], i) => {
  const name = names.get(importedFunctions + i);
  const group = moduleOf(name);
  const entry = groups.get(group) ?? { group, functions: 0, raw: 0, chunks: [] };
  entry.functions++;
  entry.raw += end - start;
  entry.chunks.push(bytes.subarray(start, end));
  groups.set(group, entry);
  functions.push({ name: (name ?? `func ${importedFunctions + i}`).replace(/::h[0-9a-f]{16}$/, ""), raw: end - start });
});
const codeRaw = bodies.reduce((s, [a, b]) => s + b - a, 0);
const codeGzip = gzip(bodies.map(([a, b]) => bytes.subarray(a, b)));
const dataRaw = dataSegments.reduce((s, d) => s + d.length, 0);
const dataGzip = gzip(dataSegments);
const rows = [...groups.values()]
  .map((g) => ({ group: g.group, functions: g.functions, raw: g.raw, gzip: gzip(g.chunks) }))
  .sort((a, b) => b.raw - a.raw);
functions.sort((a, b) => b.raw - a.raw);

const n = (x) => x.toLocaleString("en-US");
console.log(`size-report: ${path.relative(ROOT, input)} through wasm-opt ${flags.join(" ")} -g`);
console.log(`code: ${n(codeRaw)} B raw, ${n(codeGzip)} B gzip -9, ${bodies.length} functions; data: ${n(dataRaw)} B raw, ${n(dataGzip)} B gzip -9, ${dataSegments.length} segments`);
console.log("(gzip per module compresses that module's bodies alone: the per-module numbers add up to more than the whole)\n");
console.log("| module | functions | raw B | gzip B |\n|---|---:|---:|---:|");
for (const r of rows) console.log(`| ${r.group} | ${r.functions} | ${n(r.raw)} | ${n(r.gzip)} |`);
console.log(`\nThe ${top} largest functions (raw B):`);
for (const f of functions.slice(0, top)) console.log(`${String(n(f.raw)).padStart(7)}  ${f.name}`);
if (jsonOut) {
  fs.writeFileSync(jsonOut, JSON.stringify({ codeRaw, codeGzip, dataRaw, dataGzip, modules: rows, functions }, null, 2) + "\n");
}
// Self-check: every body was attributed once.
const attributed = rows.reduce((s, r) => s + r.raw, 0);
if (attributed !== codeRaw) throw new Error(`size-report: ${attributed} of ${codeRaw} code bytes attributed`);
