// Cold start anchor: import stripe-node and construct a client. Nothing is sent.
import Stripe from "stripe";

const client = new Stripe("sk_test_bench_not_a_key");
if (typeof client.paymentIntents.create !== "function") process.exit(1);
