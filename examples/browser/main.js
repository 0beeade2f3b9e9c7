// Form validation with payreq in a page: no secret, no network call. The
// secret-bearing PaymentClient belongs on a server (it is refused here unless
// dangerouslyAllowBrowser: true, meant for tests against a local sandbox).
import { init, validatePaymentRequest } from "payreq";

// init() fetches payreq_bg.wasm once (bundlers emit it as an asset); until it
// resolves, the synchronous functions throw.
const ready = init();
document.querySelector("#order").addEventListener("submit", async (event) => {
  await ready;
  event.preventDefault();
  const form = Object.fromEntries(new FormData(event.target));
  const result = validatePaymentRequest({ ...form, amount: Number(form.amount) });
  document.querySelector("#result").textContent = result.ok
    ? "OK"
    : result.errors.map((e) => `${e.field}: ${e.message}`).join("\n");
});
