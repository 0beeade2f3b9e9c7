// Cold start anchor: import openai-node and construct a client. Nothing is sent.
import OpenAI from "openai";

const client = new OpenAI({ apiKey: "sk-bench-not-a-key" });
if (typeof client.chat.completions.create !== "function") process.exit(1);
