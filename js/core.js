// The runtime-independent part of every entry: owns the one wasm instance of
// the wasm-bindgen `web` glue (payreq.js), instantiates it lazily from the
// WebAssembly.Module an entry provides, and re-instantiates it after a trap.
//
// Each call of a client is a flow of the wasm core, stepped by `drive`
// below: the core says what to do (wait, ask the shared rate limiter, send a
// request, or finish), and `drive` only does it, with `fetch`, `setTimeout`
// and the caller's AbortSignal, and reports what happened. Every rule
// (token, retries, limits, errors) is in the core (src/flow.rs).
//
// Recovery. A trap (`WebAssembly.RuntimeError`: a panic under panic=abort,
// an out-of-bounds access, ...) can leave the instance's memory in any state,
// so it is never called again: the call that trapped throws (or rejects), and
// the next call builds a fresh instance from the kept Module with the glue's
// `__wbg_reset_state` (emitted by `wasm-bindgen
// --experimental-reset-state-function`). A trap seen in the synchronous part
// of a call (validation, argument conversion) is retried once on the fresh
// instance, since nothing has been sent yet. Clients made before the reset
// rebuild their wasm half from the options they were constructed with. Calls
// that were in flight on the old instance, and a call that traps twice,
// reject with a typed error made here (`internal`: the failed instance cannot
// be trusted to describe its own failure, and a fresh one may fail again): a
// `PayreqError` with code `internal_error` and the trap as its cause, and, for
// a create whose request was sent, `outcomeUnknown` with its idempotency key,
// so that the caller's retry with that key cannot create a second payment
// request. No trap reaches a caller as a bare `WebAssembly.RuntimeError`.
import * as glue from "./payreq.js";
import { PayreqError } from "./errors.js";

let source; // () => WebAssembly.Module | BufferSource, set by the entry
let ready = false; // the glue holds a live instance
let broken = false; // that instance trapped: replace it before the next call
let generation = 0; // bumped by every re-instantiation
let lastTrap; // the trap that ended the last instance

/** Called once by an entry: how to get the wasm when it is first needed. */
export function setSource(get) {
  source = get;
}

/** Instantiates synchronously (used by entries whose Module is at hand). */
function ensure() {
  if (broken) {
    glue.__wbg_reset_state();
    broken = false;
    generation++;
  } else if (!ready) {
    if (source === undefined) {
      throw new Error("payreq: the WebAssembly module is not loaded yet; `await init()` first");
    }
    glue.initSync({ module: source() });
    ready = true;
  }
}

/** For entries that load asynchronously (browsers): `init(module_or_path)` of the glue. */
export async function initAsync(moduleOrPath) {
  if (ready && !broken) return;
  if (broken) return ensure();
  await glue.default({ module_or_path: moduleOrPath });
  ready = true;
}

export const isReady = () => ready;

const isTrap = (e) => typeof WebAssembly !== "undefined" && e instanceof WebAssembly.RuntimeError;

/**
 * A `PayreqError` made in JS, of the shape the core's have: for a call
 * abandoned because payreq's instance failed (`cause`, the trap), and for a
 * freed client. `key`: the idempotency key of a create whose request was sent.
 */
function jsError(message, code, hint, cause, key) {
  const props = { code, status: null, requestId: null, retryable: !!cause, hint, outcomeUnknown: !!key };
  if (key) props.idempotencyKey = key;
  if (cause) props.cause = cause;
  return new PayreqError(message, props);
}

const HINT = "payreq failed inside and recovered: retry, and please report it";

function internal(trap, key) {
  const retry = key ? `: retry with idempotencyKey "${key}" (the payment request may exist)` : "";
  return jsError(`payreq failed inside (${trap?.message})${retry}`, "internal_error", HINT, trap, key);
}

/** Runs `fn` against a live instance; a trap marks the instance broken. */
function guarded(fn) {
  for (let attempt = 0; ; attempt++) {
    ensure();
    try {
      return fn();
    } catch (e) {
      if (!isTrap(e)) throw e;
      broken = true;
      lastTrap = e;
      if (attempt === 1) throw internal(e);
    }
  }
}

/** One step of flow `id` made in `made` (src/bindings/mod.rs `step`); a trap breaks the instance. */
function step(made, id, event, status, text, value) {
  if (made !== generation || broken) throw lastTrap;
  try {
    return glue.step(id, event, status, text, value);
  } catch (e) {
    if (isTrap(e)) {
      broken = true;
      lastTrap = e;
    }
    throw e;
  }
}

// Events of `step`.
const RESERVED = 1, WAITED = 2, TOKEN_FREE = 3, SENT = 4, FETCH_FAILED = 5, BODY_FAILED = 6, TIMED_OUT = 7, ABORTED = 8;
const RESERVE_THREW = 9;
// `step` answers RESERVE - n to ask the shared limiter, waiting at most n ms
// (below every wait for the token, -2 - n): src/bindings/mod.rs RESERVE.
const RESERVE = -(2 ** 30) - 3;
// The body passed MAX_BODY and was not read further (issue 16). The events are
// numbered the same in src/bindings/mod.rs `decode_event`: change both.
const TOO_LARGE = 10;
// The longest body read, in bytes: src/http.rs MAX_RESPONSE_BYTES (1 MiB).
const MAX_BODY = 1 << 20;
// One decoder for every response (a whole body at a time: no state between calls).
const UTF8 = new TextDecoder();

/**
 * Resolves to what `arm(done)` passes `done`, or to ABORTED when `signal`
 * fires first; `arm` returns how to disarm what it armed.
 */
function until(signal, arm) {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(ABORTED);
    const done = (event) => {
      disarm();
      signal?.removeEventListener("abort", onAbort);
      resolve(event);
    };
    const onAbort = () => done(ABORTED);
    const disarm = arm(done);
    signal?.addEventListener("abort", onAbort);
  });
}

/**
 * One attempt: `text` is the time limit, the URL, the method, header names and
 * values, then the body if one is left, joined by NULs. Resolves to the event
 * and its status, text and value for `step`.
 *
 * Never follows a redirect (issue 16): a 3xx (Node, Deno, Bun, workerd) or a
 * browser's opaque redirect (status 0) is the answer, passed on with only the
 * origin of its Location, and the core refuses it. Reads at most MAX_BODY
 * bytes of a body, as a stream: past that (or a Content-Length above it) the
 * request is aborted and TOO_LARGE reported; the body never reaches the wasm.
 */
async function send(text, signal) {
  const [ms, url, method, ...rest] = text.split("\0");
  if (signal?.aborted) return [ABORTED];
  const controller = new AbortController();
  const init = { method, headers: {}, signal: controller.signal, redirect: "manual" };
  if (rest.length & 1) init.body = rest.pop();
  for (let i = 0; i < rest.length; i += 2) init.headers[rest[i]] = rest[i + 1];
  let why = 0; // TIMED_OUT or ABORTED once the controller was aborted for that
  let reader; // the body's, while it is read
  // Aborts the request and, for a runtime whose abort does not reach a body
  // already handed out, cancels its reading too (a body that never ends).
  const stop = (event) => {
    why ||= event;
    controller.abort();
    reader?.cancel().catch(() => {});
  };
  const timer = setTimeout(stop, +ms, TIMED_OUT);
  const onAbort = () => stop(ABORTED);
  signal?.addEventListener("abort", onAbort);
  let response;
  try {
    response = await fetch(url, init);
    const h = response.headers;
    const header = (name) => h.get(name) ?? "";
    const status = response.status;
    let location = "", body = "";
    if (!status || (status > 299 && status < 400)) {
      try {
        location = header("location") && new URL(header("location"), url).origin;
      } catch {}
      stop(0);
    } else {
      const chunks = [];
      let size = +header("content-length") > MAX_BODY ? Infinity : 0;
      reader = size ? undefined : response.body?.getReader();
      while (reader && size <= MAX_BODY) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        size += value.length;
      }
      // Stopped while reading (a cancelled read ends as done): not the body.
      if (why) return [why];
      if (size > MAX_BODY) {
        stop(0);
        return [TOO_LARGE, status, header("x-request-id") || header("request-id")];
      }
      // As response.text() decodes: UTF-8, a BOM dropped, bad bytes replaced
      // (each by 3 bytes of U+FFFD: at most 3 MiB reach the core, which
      // refuses a text over MAX_RESPONSE_BYTES). One chunk is decoded as it is.
      let bytes = chunks[0] ?? new Uint8Array(0);
      if (chunks.length > 1) {
        bytes = new Uint8Array(size);
        let at = 0;
        for (const chunk of chunks) {
          bytes.set(chunk, at);
          at += chunk.length;
        }
      }
      body = UTF8.decode(bytes);
    }
    return [SENT, status, `${header("retry-after")}\0${header("x-request-id")}\0${header("request-id")}\0${location}\0${body}`];
  } catch (e) {
    if (why) return [why];
    return response ? [BODY_FAILED, response.status, response.headers.get("x-request-id") ?? "", e] : [FETCH_FAILED, 0, "", e];
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  }
}

// Flows waiting for another flow's token request, per client: woken after
// any other step of a flow of that client (the core says if they must wait
// more), or by their own timer at the bound the core gave (docs/waits.md).
const WAITERS = new WeakMap();

// In a Worker (js/workerd.js) a request must not wait on a promise that
// another request settles: there a waiter only polls, on its own timer.
let polling = false;
export const pollForToken = () => (polling = true);

function wake(inner) {
  const waiters = WAITERS.get(inner);
  if (waiters?.length) {
    WAITERS.delete(inner);
    // Emptied first: each waiter's `done` takes itself out of the list.
    for (const w of waiters.splice(0)) w(TOKEN_FREE);
  }
}

function waitForToken(inner, signal, ms) {
  return until(signal, (done) => {
    const timer = setTimeout(done, ms, TOKEN_FREE);
    if (polling) return () => clearTimeout(timer);
    const list = WAITERS.get(inner) ?? [];
    list.push(done);
    WAITERS.set(inner, list);
    return () => {
      clearTimeout(timer);
      list.splice(list.indexOf(done) >>> 0, 1);
    };
  });
}

/**
 * Performs the actions of flow `id` of `inner` (made in instance generation
 * `made`) until it resolves or throws. `options`: the client's.
 */
async function drive(inner, made, id, signal, options, create) {
  let event = 0, status = 0, text = "", value, action, poll = 5;
  let key; // a create's Idempotency-Key, once its request was sent
  // The first step in a microtask, after the call has returned its promise:
  // a hook it runs (onRequest) may start calls of its own without recursing.
  await undefined;
  for (;;) {
    action = undefined;
    try {
      action = step(made, id, event, status, text, value);
    } catch (e) {
      // The instance that held this flow trapped (now or in another call).
      throw isTrap(e) ? internal(e, key) : e;
    } finally {
      if (!(action < -1 && action > RESERVE)) wake(inner);
    }
    status = 0;
    text = "";
    value = undefined;
    if (typeof action === "string") {
      const at = create && key === undefined ? action.indexOf(KEY) : -1;
      if (at >= 0) key = action.slice(at + KEY.length).split("\0", 1)[0];
      [event, status = 0, text = "", value] = await send(action, signal);
    } else if (typeof action !== "number") return action;
    else if (action >= 0) event = await until(signal, (done) => clearTimeout.bind(null, setTimeout(done, action, WAITED)));
    else if (action > RESERVE) {
      // At most -2 - action ms; polling, after 10, 20, 40, 80, then every 100 ms.
      poll = polling ? Math.min(poll * 2, 100) : Infinity;
      event = await waitForToken(inner, signal, Math.min(-2 - action, poll));
    } else [event, status = 0, value] = await reserve(options, signal, RESERVE - action);
  }
}

/**
 * Asks the shared limiter for a slot, waiting at most `max` ms and only until
 * `signal` fires: [RESERVED, the time it answered (NaN when not a number),
 * the answer], [RESERVE_THREW, 0, what it threw], [TIMED_OUT] or [ABORTED].
 * A slot answered after the call stopped waiting is given back (`release`),
 * and nothing the store does later can reject unhandled.
 */
function reserve(options, signal, max) {
  const store = options.rateLimiter;
  return new Promise((resolve) => {
    let over = false;
    const finish = (answer) => {
      over = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      resolve(answer);
    };
    const onAbort = () => finish([ABORTED]);
    const timer = setTimeout(finish, max, [TIMED_OUT]);
    signal?.addEventListener("abort", onAbort);
    if (signal?.aborted) return finish([ABORTED]);
    Promise.resolve()
      .then(() => store.reserve(options.clientId, Date.now()))
      .then(
        (v) => {
          if (!over) return finish([RESERVED, typeof v === "number" ? v : NaN, v]);
          if (typeof v === "number") return store.release?.(options.clientId, v);
        },
        (e) => over || finish([RESERVE_THREW, 0, e]),
      )
      .catch(() => {});
  });
}

// Where a send's text (see send) holds a create's idempotency key: the header
// name as the core writes it, between NULs.
const KEY = "\0idempotency-key\0";

/** The caller's own `signal` option (never one inherited from a prototype). */
function signalOf(options) {
  try {
    return options !== null && typeof options === "object" && Object.hasOwn(options, "signal")
      ? options.signal ?? undefined
      : undefined;
  } catch {
    return undefined;
  }
}

/** Starts call `kind` (0 create, 1 get, 2 wait) of a client: a promise of its result. */
function call(client, kind, target, options) {
  let inner, made, id;
  try {
    guarded(() => {
      inner = innerOf(client);
      made = generation;
      id = inner.begin(kind, target, options);
    });
  } catch (e) {
    return Promise.reject(e);
  }
  return drive(inner, made, id, signalOf(options), OPTIONS.get(client), kind === 0);
}

// Options of each client, for rebuilding after a re-instantiation. A WeakMap
// rather than a field, so that printing a client never shows its secret.
const OPTIONS = new WeakMap();
const INNER = new WeakMap(); // client -> { inner, generation }

function innerOf(client) {
  const slot = INNER.get(client);
  if (slot === undefined) throw jsError("payreq: this PaymentClient was freed", "client_freed", "create a new PaymentClient");
  if (slot.generation !== generation) {
    slot.inner = new glue.PaymentClient(OPTIONS.get(client));
    slot.generation = generation;
  }
  return slot.inner;
}

/** A payment-request API client for server-side code. */
export class PaymentClient {
  constructor(options) {
    const inner = guarded(() => new glue.PaymentClient(options));
    OPTIONS.set(this, { ...options });
    INNER.set(this, { inner, generation });
  }

  createPaymentRequest(input, options) {
    return call(this, 0, input, options);
  }

  getPaymentRequest(id, options) {
    return call(this, 1, id, options);
  }

  waitForPayment(id, options) {
    return call(this, 2, id, options);
  }

  /** Releases the wasm half now instead of at garbage collection. */
  free() {
    const slot = INNER.get(this);
    INNER.delete(this);
    OPTIONS.delete(this);
    if (slot !== undefined && slot.generation === generation && !broken) slot.inner.free();
  }

}
if (typeof Symbol.dispose === "symbol") PaymentClient.prototype[Symbol.dispose] = PaymentClient.prototype.free;

/** Checks a payment request without a network call or a secret. */
export function validatePaymentRequest(input) {
  return guarded(() => glue.validatePaymentRequest(input));
}
