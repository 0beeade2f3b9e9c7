// examples/node/server.mjs, run as users would: a real process against the sandbox.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { startSandbox, payThroughCheckout, CLIENT_ID, CLIENT_SECRET } from "../support/sandbox.mjs";

const sandbox = await startSandbox();
const server = fileURLToPath(new URL("../../../examples/node/server.mjs", import.meta.url));

async function startExample() {
  const child = spawn(process.execPath, [server], {
    // The example imports "payreq" from examples/node/node_modules (scripts/test-js.sh installs the tarball).
    env: {
      ...process.env,
      PAYREQ_BASE_URL: sandbox.url,
      PAYREQ_CLIENT_ID: CLIENT_ID,
      PAYREQ_CLIENT_SECRET: CLIENT_SECRET,
      PORT: "0",
      PUBLIC_URL: "https://shop.example",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  after(() => child.exitCode === null && process.kill(child.pid, "SIGKILL"));
  const line = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`example exited with ${code}`)));
  });
  return line.replace("listening on ", "");
}

test("node example: checkout, pay, and a return page that asks the API", async () => {
  const shop = await startExample();
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
});
