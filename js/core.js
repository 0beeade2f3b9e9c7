// The runtime-independent part of every entry: owns the one wasm instance of
// the wasm-bindgen `web` glue (payreq.js), instantiates it lazily from the
// WebAssembly.Module an entry provides, and re-instantiates it after a trap.
//
// Recovery. A trap (`WebAssembly.RuntimeError`: a panic under panic=abort,
// an out-of-bounds access, ...) can leave the instance's memory in any state,
// so it is never called again: the call that trapped throws, and the next
// call builds a fresh instance from the kept Module with the glue's
// `__wbg_reset_state` (emitted by `wasm-bindgen
// --experimental-reset-state-function`). A trap seen in the synchronous part
// of a call (validation, argument conversion) is retried once on the fresh
// instance, since nothing has been sent yet. Clients made before the reset
// rebuild their wasm half from the options they were constructed with.
// A trap in a callback of the wasm (a poll after a promise settled or a
// timer fired) poisons the instance the same way (js/objects.js `enter`):
// the next call replaces it. The calls that instance had in flight never
// settle; their pending callbacks are retired and do nothing.
import * as glue from "./payreq.js";
// The wasm-bindgen snippet the wasm imports, re-exported by scripts/build-package.sh.
import { retire, takePoisoned } from "./objects.js";

let source; // () => WebAssembly.Module | BufferSource, set by the entry
let ready = false; // the glue holds a live instance
let broken = false; // that instance trapped: replace it before the next call
let generation = 0; // bumped by every re-instantiation

/** Called once by an entry: how to get the wasm when it is first needed. */
export function setSource(get) {
  source = get;
}

/** A callback of the wasm (a settled promise, a timer) trapped: the instance is broken. */
function poisonCheck() {
  if (takePoisoned()) broken = true;
}

/** Instantiates synchronously (used by entries whose Module is at hand). */
function ensure() {
  poisonCheck();
  if (broken) {
    retire();
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

/** Runs `fn` against a live instance; a trap marks the instance broken. */
function guarded(fn) {
  for (let attempt = 0; ; attempt++) {
    ensure();
    try {
      return fn();
    } catch (e) {
      if (!isTrap(e)) throw e;
      broken = true;
      if (attempt === 1) throw e;
    }
  }
}

// Options of each client, for rebuilding after a re-instantiation. A WeakMap
// rather than a field, so that printing a client never shows its secret.
const OPTIONS = new WeakMap();
const INNER = new WeakMap(); // client -> { inner, generation }

function innerOf(client) {
  const slot = INNER.get(client);
  if (slot === undefined) throw new TypeError("payreq: this PaymentClient was freed");
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
    return guarded(() => innerOf(this).createPaymentRequest(input, options));
  }

  getPaymentRequest(id, options) {
    return guarded(() => innerOf(this).getPaymentRequest(id, options));
  }

  waitForPayment(id, options) {
    return guarded(() => innerOf(this).waitForPayment(id, options));
  }

  /** Releases the wasm half now instead of at garbage collection. */
  free() {
    const slot = INNER.get(this);
    INNER.delete(this);
    OPTIONS.delete(this);
    poisonCheck();
    if (slot !== undefined && slot.generation === generation && !broken) slot.inner.free();
  }

}
if (typeof Symbol.dispose === "symbol") PaymentClient.prototype[Symbol.dispose] = PaymentClient.prototype.free;

/** Checks a payment request without a network call or a secret. */
export function validatePaymentRequest(input) {
  return guarded(() => glue.validatePaymentRequest(input));
}
