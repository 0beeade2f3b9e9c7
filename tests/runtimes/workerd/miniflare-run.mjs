// Runs under Node 22 (miniflare 4 needs it): the conformance Worker in workerd
// through miniflare, with the installed package's files as separate modules
// (payreq_bg.wasm as CompiledWasm, as Workers load it), then prints the
// scenario's lines. Usage: node22 miniflare-run.mjs <pkgdir> <sandbox url>
import { createRequire } from "node:module";
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { pathToFileURL, fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const tools = path.join(here, "../../../tools/");
const { Miniflare } = await import(pathToFileURL(createRequire(tools).resolve("miniflare")));
const { report } = await import("../scenario.mjs");
const [pkgDir, baseUrl] = process.argv.slice(2);

// "payreq" is resolved the way wrangler does: the exports map's workerd condition.
const pkg = JSON.parse(readFileSync(path.join(pkgDir, "package.json"), "utf8"));
const entry = pkg.exports["."].workerd.default;
console.log(`# entry: ${entry}`);
const files = (dir) => readdirSync(dir).flatMap((f) => {
  const p = path.join(dir, f);
  return statSync(p).isDirectory() ? files(p) : [p];
});
const modules = [
  { type: "ESModule", path: "worker.mjs", contents: readFileSync(path.join(here, "worker.mjs"), "utf8") },
  { type: "ESModule", path: "scenario.mjs", contents: readFileSync(path.join(here, "../scenario.mjs"), "utf8") },
  { type: "ESModule", path: "payreq", contents: readFileSync(path.join(pkgDir, entry), "utf8") },
];
for (const file of files(pkgDir)) {
  const name = path.relative(pkgDir, file);
  if (name.endsWith(".js")) modules.push({ type: "ESModule", path: name, contents: readFileSync(file, "utf8") });
  if (name.endsWith(".wasm")) modules.push({ type: "CompiledWasm", path: name, contents: readFileSync(file) });
}
const mf = new Miniflare({ modules, compatibilityDate: "2026-07-01" });
let failed = 1;
try {
  const res = await mf.dispatchFetch(`http://worker/?base=${encodeURIComponent(baseUrl)}`);
  const text = await res.text();
  let results;
  try {
    results = JSON.parse(text);
  } catch {
    throw new Error(`the Worker answered ${res.status}: ${text.slice(0, 2000)}`);
  }
  ({ failed } = report("workerd-miniflare", results));
} finally {
  await mf.dispose();
}
process.exitCode = failed ? 1 : 0;
