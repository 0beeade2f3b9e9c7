// A TypeScript consumer of the packed package: `tsc --noEmit --strict` must
// accept every use below and reject the ones marked @ts-expect-error.
import {
  PaymentClient, validatePaymentRequest, PayreqError, ValidationError, NotFoundError, RateLimitError,
  type PaymentRequest, type PaymentStatus, type FieldErrorCode, type ClientOptions, type RateLimiterStore,
} from "payreq";

const options: ClientOptions = {
  clientId: "id",
  clientSecret: "secret",
  baseUrl: "https://api.example.com",
  maxRetries: 3,
  onResponse: (e) => console.log(e.status ?? "no response", e.durationMs, e.requestId),
};
const client = new PaymentClient(options);

export async function flow(signal: AbortSignal): Promise<PaymentStatus> {
  const pr: PaymentRequest = await client.createPaymentRequest(
    { amount: 1999, currency: "USD", redirectUrl: "https://shop.example/r", referenceId: "o-1" },
    { idempotencyKey: "order-1", signal, timeoutMs: 5000 },
  );
  const big = await client.createPaymentRequest({ amount: 2n ** 60n, currency: "JPY", redirectUrl: "https://s.example/" });
  const again = await client.getPaymentRequest(pr.id);
  const done = await client.waitForPayment(again.id, { timeoutMs: 60_000 });
  const status: PaymentStatus = done.status;
  if (status === "paid" || status === "expired" || status === "cancelled" || status === "pending") return status;
  return big.status;
}

export function form(input: unknown): string[] {
  const r = validatePaymentRequest(input);
  if (r.ok) return [r.value.currency, String(r.value.amount)];
  return r.errors.map((e) => {
    const code: FieldErrorCode = e.code;
    return `${e.field}: ${e.message} (${code})`;
  });
}

export function handle(err: unknown): string {
  if (err instanceof ValidationError) return err.errors.map((e) => e.field).join(",");
  if (err instanceof NotFoundError) return `${err.status} ${err.requestId ?? ""}`;
  if (err instanceof RateLimitError) return `retry after ${err.retryAfter ?? 0}`;
  if (err instanceof PayreqError) return `${err.code} ${err.retryable} ${err.outcomeUnknown ? err.idempotencyKey : ""}`;
  return "unknown";
}

export const store: RateLimiterStore = { reserve: async (_key, now) => now, release: () => {} };

// @ts-expect-error: amount must be a number or a bigint
client.createPaymentRequest({ amount: "1999", currency: "USD", redirectUrl: "https://s.example/" });
// @ts-expect-error: redirectUrl is required
client.createPaymentRequest({ amount: 1, currency: "USD" });
// @ts-expect-error: unknown option
new PaymentClient({ ...options, baseURL: "x" });
