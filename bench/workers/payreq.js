// The smallest Worker that ships payreq: imports it and constructs one client.
import { PaymentClient } from "payreq";

export default {
  async fetch(request, env) {
    const client = new PaymentClient({ clientId: env.CLIENT_ID, clientSecret: env.CLIENT_SECRET, baseUrl: env.BASE_URL });
    return new Response(typeof client);
  },
};
