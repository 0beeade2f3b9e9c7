// The smallest Worker that ships stripe-node: imports it and constructs one client.
import Stripe from "stripe";

export default {
  async fetch(request, env) {
    const client = new Stripe(env.STRIPE_KEY);
    return new Response(typeof client);
  },
};
