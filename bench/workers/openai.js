// The smallest Worker that ships openai-node: imports it and constructs one client.
import OpenAI from "openai";

export default {
  async fetch(request, env) {
    const client = new OpenAI({ apiKey: env.OPENAI_API_KEY });
    return new Response(typeof client);
  },
};
