// Worker bundle sizes, built the way `wrangler deploy` builds a Worker: esbuild
// (the version wrangler pins), bundled, minified, ESM, target es2024, the
// conditions workerd/worker/browser, `.wasm` imports left as separate modules
// (wrangler uploads them as CompiledWasm). The size of a bundle is its JS plus
// every .wasm module it imports; gzip is `gzip -9` of each file, summed.
// bench/workers/*.js are minimal Workers that import and construct one client.
import { readFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";
import { BENCH } from "./lib.mjs";

const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;

async function bundle(name) {
  const wasm = [];
  const result = await esbuild.build({
    entryPoints: [path.join(BENCH, "workers", `${name}.js`)],
    absWorkingDir: BENCH,
    bundle: true,
    minify: true,
    format: "esm",
    target: "es2024",
    supported: { "import-source": true },
    conditions: ["workerd", "worker", "browser"],
    loader: { ".js": "jsx", ".mjs": "jsx", ".cjs": "jsx" },
    define: { "process.env.NODE_ENV": '"production"' },
    write: false,
    outdir: path.join(BENCH, "out"),
    metafile: true,
    logLevel: "warning",
    plugins: [
      {
        name: "wasm-modules",
        setup(build) {
          build.onResolve({ filter: /\.wasm(\?module)?$/ }, (args) => {
            wasm.push(path.resolve(args.resolveDir, args.path.replace(/\?module$/, "")));
            return { path: args.path, external: true };
          });
        },
      },
    ],
  });
  const js = result.outputFiles.find((f) => f.path.endsWith(".js")).contents;
  const inputs = Object.keys(result.metafile.inputs);
  const files = [{ file: `${name}-worker.js`, raw: js.length, gzip: gz(js) }];
  for (const w of wasm) {
    const bytes = readFileSync(w);
    files.push({ file: path.basename(w), raw: bytes.length, gzip: gz(bytes) });
  }
  return {
    raw: files.reduce((n, f) => n + f.raw, 0),
    gzip: files.reduce((n, f) => n + f.gzip, 0),
    files,
    workerdEntry: inputs.some((f) => f.endsWith(`node_modules/${name}/workerd.js`)),
    inputs: inputs.filter((f) => f.includes(`node_modules/${name}/`)).length,
  };
}

export async function measureSizes() {
  const out = {};
  for (const name of ["payreq", "stripe", "openai"]) out[name] = await bundle(name);
  // The Worker must have been built from payreq's workerd entry, with its wasm.
  if (!out.payreq.workerdEntry) throw new Error("the payreq Worker was not built from payreq/workerd.js");
  if (!out.payreq.files.some((f) => f.file === "payreq_bg.wasm")) throw new Error("the payreq bundle has no wasm module");
  return out;
}
