// Holds one GraphQL server at a fixed concurrency for a bounded time (autocannon) and
// prints one JSON line: requests, bad answers, elapsed seconds and every latency in ms.
// Input is one JSON object on stdin: {url, token, query, ids, seconds, connections}.
"use strict";

const autocannon = require("autocannon");

let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const { url, token, query, ids, seconds, connections } = JSON.parse(input);
  const latencies = [];
  let next = 0;
  const started = process.hrtime.bigint();
  const instance = autocannon(
    {
      url,
      connections,
      duration: seconds,
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      // Every request asks for the next customer in turn, the same order on both sides.
      requests: [
        {
          setupRequest: (request) => {
            const id = ids[next++ % ids.length];
            request.body = JSON.stringify({ query, variables: { id } });
            return request;
          },
        },
      ],
      verifyBody: (body) => !body.includes('"errors"') && body.includes('"customer":{'),
    },
    (error, result) => {
      if (error) {
        console.error(error);
        process.exit(1);
      }
      const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
      process.stdout.write(
        JSON.stringify({
          requests: latencies.length,
          bad: result.non2xx + result.mismatches + result.errors + result.timeouts,
          elapsed,
          latencies,
        }) + "\n",
      );
    },
  );
  instance.on("response", (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
});
