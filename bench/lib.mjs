// Shared by the bench scripts: statistics, the sandbox, child processes.
// Every process started here is tracked and killed by pid when this process
// exits (normally, on an exception or on SIGINT/SIGTERM).
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { SANDBOX_LISTENING, spawnTracked, stop, waitForLine } from "../tests/support/processes.mjs";

export { spawnTracked, stop };

export const BENCH = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.dirname(BENCH);

export function median(values) {
  if (values.length === 0) throw new Error("median of nothing");
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Median of the per-round ratios a[i] / b[i] (paired, so slow drift cancels). */
export function pairedRatio(a, b) {
  if (a.length !== b.length) throw new Error("unpaired samples");
  return median(a.map((x, i) => x / b[i]));
}

/** Fisher-Yates, for the order of the contestants within one round. */
export function shuffled(items) {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/**
 * payreq-sandbox (the release build) on a free port: `{ url, child }`.
 * `--exit-with-stdin` with a pipe we hold: the sandbox also ends if this
 * process is killed without running its exit handler.
 */
export async function startSandbox(args = []) {
  const bin = process.env.PAYREQ_SANDBOX_BIN ?? path.join(ROOT, "target/release/payreq-sandbox");
  const child = spawnTracked(bin, ["--port", "0", "--exit-with-stdin", ...args], { stdio: ["pipe", "pipe", "inherit"] });
  const [, url] = await waitForLine(child, SANDBOX_LISTENING, "payreq-sandbox", 15_000);
  child.stdout.resume();
  return { url, child };
}

/** Runs `node script args` to completion and parses the JSON it prints last. */
export function runNodeJson(script, args = [], nodeArgs = []) {
  return new Promise((resolve, reject) => {
    const child = spawnTracked(process.execPath, [...nodeArgs, path.join(BENCH, script), ...args], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.once("exit", (code, signal) => {
      if (code !== 0) return reject(new Error(`${script} exited with ${code ?? signal}`));
      const last = out.trim().split("\n").pop();
      try {
        resolve(JSON.parse(last));
      } catch {
        reject(new Error(`${script} printed no JSON result: ${out.slice(-500)}`));
      }
    });
  });
}

/** The sandbox's default OAuth client (a published test credential, not a secret of ours). */
export const SANDBOX_CLIENT = { clientId: "sandbox_client", clientSecret: "sandbox_secret" };

export const REQUEST = {
  amount: 1999,
  currency: "USD",
  redirectUrl: "https://shop.example/return",
  referenceId: "order-42",
};

/** `Bearer <token>` for the sandbox client, fetched once with the global `fetch` (never printed). */
async function sandboxBearer(baseUrl) {
  const basic = Buffer.from(`${SANDBOX_CLIENT.clientId}:${SANDBOX_CLIENT.clientSecret}`).toString("base64");
  const tokenResponse = await fetch(`${baseUrl}/oauth/token`, {
    method: "POST",
    headers: { authorization: `Basic ${basic}`, "content-type": "application/x-www-form-urlencoded" },
    body: "grant_type=client_credentials",
  });
  if (tokenResponse.status !== 200) throw new Error(`token endpoint answered ${tokenResponse.status}`);
  const bearer = `Bearer ${(await tokenResponse.json()).access_token}`;
  return bearer;
}

/** The headers payreq sends on a create, with a fresh idempotency key: the same for the baselines. */
function createHeaders(bearer) {
  return {
    accept: "application/json",
    authorization: bearer,
    "content-type": "application/json",
    "idempotency-key": randomUUID(),
  };
}

/**
 * The baseline of a create: `POST /payment/request` with the global `fetch`
 * and a token fetched here, once (never printed), with the headers payreq
 * sends (accept, authorization, content-type, a fresh idempotency-key) and
 * the same JSON body; the response is read with `res.json()`.
 */
export async function rawCreator(baseUrl) {
  const bearer = await sandboxBearer(baseUrl);
  const body = {
    amount: REQUEST.amount,
    currency: REQUEST.currency,
    redirect_url: REQUEST.redirectUrl,
    reference_id: REQUEST.referenceId,
  };
  return async function create() {
    const res = await fetch(`${baseUrl}/payment/request`, {
      method: "POST",
      headers: createHeaders(bearer),
      body: JSON.stringify(body),
    });
    const pr = await res.json();
    if (res.status !== 201 || pr.status !== "pending") throw new Error(`fetch: status ${res.status}`);
    return pr;
  };
}

/**
 * The floor of any client that keeps issue 6's promises on a request: what
 * rawCreator sends, plus what every payreq attempt must also do in JS: an
 * `AbortController` and a timer per attempt (cleared after), the body read as
 * text and parsed, and the camelCase resource built. No validation, retries
 * or limiter. The bench prints its ratio to raw fetch beside payreq's, so the
 * part of payreq's overhead that any client pays is visible.
 */
export async function minimalCreator(baseUrl) {
  const bearer = await sandboxBearer(baseUrl);
  return async function create(input = REQUEST) {
    const body = JSON.stringify({
      amount: input.amount,
      currency: input.currency,
      redirect_url: input.redirectUrl,
      reference_id: input.referenceId,
    });
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 30_000);
    try {
      const res = await fetch(`${baseUrl}/payment/request`, {
        method: "POST",
        headers: createHeaders(bearer),
        body,
        signal: controller.signal,
      });
      const raw = JSON.parse(await res.text());
      if (res.status !== 201 || raw.status !== "pending") throw new Error(`minimal client: status ${res.status}`);
      return {
        id: raw.id,
        status: raw.status,
        amount: raw.amount,
        currency: raw.currency,
        redirectUrl: raw.redirect_url,
        referenceId: raw.reference_id ?? null,
        checkoutUrl: raw.checkout_url ?? null,
        createdAt: raw.created_at ?? null,
        expiresAt: raw.expires_at ?? null,
        raw,
      };
    } finally {
      clearTimeout(timer);
    }
  };
}
