// A hostile API for tests/js/hostile: a `node:http` server on a free port of
// 127.0.0.1 that answers the way the test file says, records every request,
// and is closed when the file's tests end. Each test file starts its own.
//
// Tripwires: the client secret and every token minted here contain
// "tripwire-", and scripts/test-js.sh fails the run if that string appears
// anywhere in the test output. Assertion messages must therefore never quote
// what they check.
import { createServer } from "node:http";
import { randomUUID } from "node:crypto";
import { inspect } from "node:util";
import { after } from "node:test";

export const CLIENT_ID = "hostile-client";
export const CLIENT_SECRET = "tripwire-secret-9f3Kq";
/** The Basic credentials the client sends: base64 of `id:secret` (form-encoded first). */
export const BASIC = Buffer.from(`${CLIENT_ID}:${encodeURIComponent(CLIENT_SECRET)}`).toString("base64");
export const order = { amount: 1999, currency: "EUR", redirectUrl: "https://shop.example/return" };

/**
 * Starts a server whose `handle(req, res, body)` answers each request (after
 * its body was read); `requests` lists `{ method, url, headers, body }` of
 * each, in order of arrival.
 */
export async function startHostile(handle) {
  const requests = [];
  const server = createServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    const seen = { method: req.method, url: req.url, headers: req.headers, body };
    requests.push(seen);
    try {
      await handle(seen, res, req);
    } catch {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  after(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  return { url, requests, server, count: (method, prefix) => requests.filter((r) => r.method === method && r.url.startsWith(prefix)).length };
}

export function json(res, status, body, headers = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(typeof body === "string" ? body : JSON.stringify(body));
}

let minted = 0;
/** A fresh bearer token carrying the tripwire. */
export const mintToken = () => `tripwire-token-${++minted}-${randomUUID()}`;

/** A resource as the API returns it. */
export function resource(id = randomUUID(), fields = {}) {
  return { id, status: "pending", amount: 1999, currency: "EUR", redirect_url: order.redirectUrl, checkout_url: `https://pay.example/checkout/${id}`, ...fields };
}

/** The token endpoint's normal answer. */
export function token(res, access_token = mintToken(), extra = {}) {
  json(res, 200, { access_token, token_type: "Bearer", expires_in: 3600, ...extra });
  return access_token;
}

/** Every text a caller could see of an error, joined. */
export function everything(err) {
  return [
    err.message,
    err.hint,
    err.requestId,
    err.serverCode,
    err.field,
    err.cause?.message,
    err.cause?.stack,
    err.stack,
    String(err),
    JSON.stringify(err),
    inspect(err, { depth: 5 }),
  ].join("\n");
}

/** Whether any of `secrets` appears in `text` (never prints either). */
export const leaks = (text, secrets) => secrets.some((s) => s && text.includes(s));
