// Sequential requests over one keep-alive connection, for bench/callgrind.sh:
//   node bench/drive.mjs BASE_URL ACCESS_TOKEN REFRESH_TOKEN ORDER_ID N WHAT
// WHAT: me (GET /auth/me), get (GET /orders/{id}), lock (POST then DELETE the
// order's lock), claim (create a transfer session, then claim it), create
// (create only). Every answer is checked; exits 1 when any was not the
// expected one, so that a profile of failures is never taken for one of work.
import http from "node:http";

const [base, token, refresh, orderId, count, what] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function send(method, path, body, withToken = true) {
  return new Promise((resolve, reject) => {
    const url = new URL(base + path);
    const headers = {};
    if (withToken) headers.Authorization = `Bearer ${token}`;
    if (body) headers["Content-Type"] = "application/json";
    const req = http.request(
      { agent, method, host: url.hostname, port: url.port, path: url.pathname + url.search, headers },
      (res) => {
        let text = "";
        res.on("data", (d) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode, text }));
      },
    );
    req.on("error", reject);
    if (body) req.write(JSON.stringify(body));
    req.end();
  });
}

// One cycle of WHAT; true when every answer was the expected one.
const cycles = {
  me: async () => (await send("GET", "/api/v1/auth/me")).status === 200,
  get: async () => (await send("GET", `/api/v1/orders/${orderId}`)).status === 200,
  lock: async () => {
    const taken = await send("POST", `/api/v1/orders/${orderId}/lock`, { sessionId: "s1" });
    const freed = await send("DELETE", `/api/v1/orders/${orderId}/lock?sessionId=s1`);
    return taken.status === 201 && freed.status === 204;
  },
  create: async () => (await send("POST", "/api/v1/auth/transfer", { refreshToken: refresh })).status === 201,
  claim: async () => {
    const created = await send("POST", "/api/v1/auth/transfer", { refreshToken: refresh });
    if (created.status !== 201) return false;
    const { sessionId } = JSON.parse(created.text);
    const claimed = await send("POST", "/api/v1/auth/transfer/claim", { sessionId }, false);
    return claimed.status === 200 && JSON.parse(claimed.text).accessToken === token;
  },
};

const cycle = cycles[what];
if (!cycle) {
  console.error(`unknown WHAT ${what}: one of ${Object.keys(cycles).join(", ")}`);
  process.exit(2);
}
let bad = 0;
for (let i = 0; i < Number(count); i++) if (!(await cycle())) bad++;
agent.destroy();
if (bad > 0) {
  console.error(`${what}: ${bad} of ${count} cycles got an unexpected answer`);
  process.exit(1);
}
