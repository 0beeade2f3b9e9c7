// Child of recovery.test.mjs (its own process: the exception it injects ends
// as an uncaught exception, which node:test would count against any test).
//
// A poll of the client's executor is made to end without returning, the way
// a trap would end it: right after the create's `fetch` is sent, the next
// call the wasm makes to one of its imports throws a WebAssembly.RuntimeError
// through the wasm (it keeps throwing until one unwinds the poll out of the
// instance). Then the same client must still work: the instance is treated as
// poisoned, as after a trap in a call, so the next call runs on a fresh one,
// and later calls are polled and settle. Prints one JSON line.
//   node unwind.mjs BASE_URL CLIENT_ID CLIENT_SECRET
const [baseUrl, clientId, clientSecret] = process.argv.slice(2);

const RealInstance = WebAssembly.Instance;
let armed = false;
let thrown = 0;
let instances = 0;
WebAssembly.Instance = function Instance(module, imports) {
  if (!WebAssembly.Module.exports(module).some((e) => e.name === "paymentclient_createPaymentRequest")) {
    return new RealInstance(module, imports);
  }
  instances++;
  const wrapped = {};
  for (const [space, members] of Object.entries(imports)) {
    wrapped[space] = {};
    for (const [name, value] of Object.entries(members)) {
      wrapped[space][name] =
        typeof value !== "function"
          ? value
          : function (...args) {
              if (armed) {
                thrown++;
                throw new WebAssembly.RuntimeError("injected: unwinds the poll");
              }
              return value.apply(this, args);
            };
    }
  }
  return new RealInstance(module, wrapped);
};

const unwound = [];
const escaped = (e) => {
  if (e instanceof WebAssembly.RuntimeError && armed) {
    armed = false;
    unwound.push(String(e.message));
  } else {
    console.error(e);
    process.exit(2);
  }
};
process.on("uncaughtException", escaped);
process.on("unhandledRejection", escaped);

const payreq = await import("payreq");
const order = { amount: 1999, currency: "EUR", redirectUrl: "https://shop.example/return" };
// Default retries: the sandbox's 5/s limit counts the parent's requests too.
const client = new payreq.PaymentClient({ clientId, clientSecret, baseUrl });
const first = await client.createPaymentRequest(order); // the token is cached now

const realFetch = globalThis.fetch;
globalThis.fetch = (...args) => {
  const sent = realFetch(...args);
  globalThis.fetch = realFetch;
  armed = true;
  return sent;
};
// Its poll is unwound: it never settles. Its attempt timer (300 ms) stays
// pending in the old instance, and must do nothing when it fires.
const lost = client.createPaymentRequest(order, { timeoutMs: 300 });
let settled = false;
lost.then(() => (settled = true), () => (settled = true));
const deadline = (ms) => new Promise((resolve) => setTimeout(() => resolve("timed out"), ms));
for (let i = 0; i < 100 && unwound.length === 0; i++) await deadline(10);

// Later calls on the same client.
const instancesBefore = instances;
const after = await Promise.race([client.createPaymentRequest({ ...order, amount: 2500 }), deadline(5000)]);
const read = await Promise.race([client.getPaymentRequest(first.id), deadline(5000)]);
await deadline(600); // the lost call's timer has fired by now
console.log(
  JSON.stringify({
    thrown,
    unwound: unwound.length,
    lostSettled: settled,
    after: after === "timed out" ? after : after.amount,
    read: read === "timed out" ? read : read.id === first.id,
    validates: payreq.validatePaymentRequest(order).ok,
    freshInstances: instances - instancesBefore,
  }),
);
process.exit(0);
