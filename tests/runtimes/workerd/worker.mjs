// The conformance Worker: GET /?base=<sandbox url> runs the shared scenario
// inside workerd and answers its results as JSON.
import * as payreq from "payreq";
import { runScenario } from "./scenario.mjs";

export default {
  async fetch(request) {
    const baseUrl = new URL(request.url).searchParams.get("base");
    return Response.json(await runScenario(payreq, { baseUrl }));
  },
};
