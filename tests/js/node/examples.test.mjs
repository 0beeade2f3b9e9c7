// examples/node/server.mjs and examples/deno/server.ts, run as users would: real
// processes against the sandbox. Each example imports "payreq" from its own
// node_modules, where scripts/test-js.sh installs the packed tarball.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startSandbox, payThroughCheckout, CLIENT_ID, CLIENT_SECRET } from "../support/sandbox.mjs";
import { spawnTracked, stop, waitForLine } from "../../support/processes.mjs";

const sandbox = await startSandbox();
const examples = fileURLToPath(new URL("../../../examples/", import.meta.url));
const DENO = fileURLToPath(new URL("../../../tools/node_modules/.bin/deno", import.meta.url));
const SETTINGS = ["PAYREQ_BASE_URL", "PAYREQ_CLIENT_ID", "PAYREQ_CLIENT_SECRET", "PORT", "PUBLIC_URL"];
// The Deno example's permissions: the sandbox's and its own address, its settings; no --allow-read.
const DENO_RUN = ["run", "--no-prompt", "--allow-net=127.0.0.1", `--allow-env=${SETTINGS.join(",")}`, "server.ts"];

/** Starts an example server on a free port; it is killed by pid when this file's tests end. */
async function startExample(command, args, cwd) {
  const child = spawnTracked(command, args, {
    cwd,
    env: {
      ...process.env,
      DENO_NO_UPDATE_CHECK: "1",
      PAYREQ_BASE_URL: sandbox.url,
      PAYREQ_CLIENT_ID: CLIENT_ID,
      PAYREQ_CLIENT_SECRET: CLIENT_SECRET,
      PORT: "0",
      PUBLIC_URL: "https://shop.example",
    },
  });
  after(() => stop(child));
  // The examples print this line first, like the sandbox.
  const [, url] = await waitForLine(child, /^listening on (http:\/\/127\.0\.0\.1:\d+)$/, args.at(-1), 30_000);
  child.stdout.resume();
  return url;
}

/** The flow both examples implement: checkout, a forged return refused, pay, a verified return. */
async function checkoutFlow(shop) {
  const reads = async () => (await sandbox.counters()).requests["GET /payment/request"] ?? 0;
  const readsBefore = await reads();
  const checkout = await fetch(`${shop}/checkout`, { method: "POST", redirect: "manual" });
  assert.equal(checkout.status, 303);
  const checkoutUrl = checkout.headers.get("location");
  assert.ok(checkoutUrl.startsWith(`${sandbox.url}/checkout/`));
  const id = checkoutUrl.split("/").pop();

  // Before paying, a forged return URL does not fool the shop.
  const forged = await fetch(`${shop}/return?payment_request_id=${id}&status=paid`);
  assert.equal(forged.status, 402);

  const paid = await payThroughCheckout(checkoutUrl);
  const back = new URL(paid.location);
  assert.equal(back.origin + back.pathname, "https://shop.example/return");
  const page = await fetch(`${shop}/return${back.search}`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /order-\d+ is paid/);
  assert.equal((await fetch(`${shop}/return?payment_request_id=../x`)).status, 400);
  // Each return asked the API (the forged and the real one); the bad id never left the shop.
  assert.equal((await reads()) - readsBefore, 2);
  return id;
}

test("node example: checkout, pay, and a return page that asks the API", async () => {
  await checkoutFlow(await startExample(process.execPath, ["server.mjs"], `${examples}node`));
});

test("deno example: the same flow under Deno.serve with --allow-net and --allow-env only", async () => {
  const shop = await startExample(DENO, DENO_RUN, `${examples}deno`);
  const id = await checkoutFlow(shop);
  // A paid id under another status in the query is still judged by the API.
  const forged = await fetch(`${shop}/return?payment_request_id=${id}&status=cancelled`);
  assert.equal(forged.status, 200);
  // An unknown id is the API's 404, not a crash.
  const unknown = await fetch(`${shop}/return?payment_request_id=3f2504e0-4f89-41d3-9a0c-0305e82c3301`);
  assert.equal(unknown.status, 404);
  assert.equal(await unknown.text(), "not_found");
});

test("deno example: \"payreq\" is the tarball's deno entry, and server.ts type-checks against deno.d.ts", () => {
  const opts = { cwd: `${examples}deno`, env: { ...process.env, DENO_NO_UPDATE_CHECK: "1" }, encoding: "utf8" };
  const resolved = execFileSync(DENO, ["eval", 'console.log(import.meta.resolve("payreq"))'], opts).trim();
  assert.ok(resolved.endsWith("/examples/deno/node_modules/payreq/deno.js"), resolved);
  execFileSync(DENO, ["check", "server.ts"], { ...opts, stdio: ["ignore", "inherit", "inherit"] });
});
