// Form validation with payreq in a page: no secret, no network call. The
// secret-bearing PaymentClient belongs on a server (it is refused here unless
// dangerouslyAllowBrowser: true, meant for tests against a local sandbox).
// Run it with `npm install && npx vite` (or build it with `npx vite build`).
import { init, validatePaymentRequest } from "payreq";

// init() fetches payreq_bg.wasm once (Vite and webpack emit it as an asset);
// until it resolves, the synchronous functions throw.
const ready = init();
const form = document.querySelector("#order");
const result = document.querySelector("#result");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  await ready;
  const { amount, currency, redirectUrl } = Object.fromEntries(new FormData(form));
  const request = {
    // The amount is an integer in the smallest currency unit: "1999" is $19.99.
    amount: amount.trim() === "" ? undefined : Number(amount),
    currency,
    redirectUrl,
  };
  const check = validatePaymentRequest(request);
  for (const slot of form.querySelectorAll("[data-error-for]")) slot.textContent = "";
  if (check.ok) {
    result.textContent = "OK: send it to your server, which creates the payment request.";
    return;
  }
  result.textContent = `${check.errors.length} field(s) to fix`;
  for (const error of check.errors) {
    const slot = form.querySelector(`[data-error-for="${CSS.escape(error.field)}"]`);
    if (slot) slot.textContent = error.message;
    else result.textContent += `\n${error.field}: ${error.message}`;
  }
});
