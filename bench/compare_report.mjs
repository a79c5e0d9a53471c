// Prints bench/compare.sh's verdict: each scenario's throughput and latency
// for BakeWind and the NestJS reference, the ratio against issue 9's goal,
// and the other goals (1,024 connections, Redis bytes per revoked token,
// idle RSS). Exits 0 whatever the verdict: the table is the result.
//
//   node compare_report.mjs BAKEWIND.json NESTREF.json BAKEWIND_C1024.json FACTS.json
import { readFileSync } from "node:fs";

const [ours, ref, wide, facts] = process.argv.slice(2).map((f) => JSON.parse(readFileSync(f, "utf8")));

const goals = { me: 15, order_get: 10, lock_cycle: 5, claim: 10 };
const rows = [];
const met = (ok) => (ok ? "yes" : "NO");

console.log(
  `\n${"scenario".padEnd(11)} ${"BakeWind/s".padStart(10)} ${"p99 ms".padStart(7)}  ${"NestJS/s".padStart(9)} ${"p99 ms".padStart(7)}  ${"ratio".padStart(6)}  goal  met`,
);
for (const [name, goal] of Object.entries(goals)) {
  const a = ours.scenarios[name];
  const b = ref.scenarios[name];
  if (!a || !b) continue;
  const ratio = a.rps / b.rps;
  let ok = ratio >= goal;
  let extra = "";
  if (name === "me") {
    ok = ok && a.p99_ms < 2;
    extra = " (and p99 < 2 ms)";
  }
  rows.push(ok);
  console.log(
    `${name.padEnd(11)} ${a.rps.toFixed(0).padStart(10)} ${a.p99_ms.toFixed(2).padStart(7)}  ${b.rps.toFixed(0).padStart(9)} ${b.p99_ms.toFixed(2).padStart(7)}  ${(ratio.toFixed(1) + "x").padStart(6)}  ${String(goal).padStart(3)}x  ${met(ok)}${extra}`,
  );
}

const w = wide.scenarios.me;
if (w) {
  const errors = w.non2xx + w.connect_err + w.read_err + w.write_err + w.timeouts;
  const ok = errors === 0 && w.p99_ms < 10;
  rows.push(ok);
  console.log(`\nme at 1024 connections: ${w.rps.toFixed(0)} req/s, p99 ${w.p99_ms.toFixed(2)} ms, errors ${errors}  (goal: 0 errors, p99 < 10 ms): ${met(ok)}`);
}

// Latency at a fixed offered rate: what a closed-loop wrk at saturation
// cannot show (its latency is whatever the queue makes it). Information,
// not one of the goals' verdicts.
const open = facts.open_loop;
if (open) {
  const line = (r) =>
    r ? `p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms, max ${r.max_ms} ms, achieved ${r.achieved} req/s, errors ${r.non_2xx + r.failures}` : "did not run";
  console.log(`me at a fixed ${open.rate} req/s (open loop), 64 connections: ${line(open.c64)}`);
  console.log(`me at a fixed ${open.rate} req/s (open loop), 1024 connections: ${line(open.c1024)}`);
}

const bytes = facts.revoked_key_bytes;
const third = bytes.nestref / 3;
const bytesOk = bytes.bakewind > 0 && bytes.bakewind <= third;
rows.push(bytesOk);
console.log(`Redis bytes per revoked token: ${bytes.bakewind} (reference ${bytes.nestref}; goal <= ${third.toFixed(0)}): ${met(bytesOk)}`);

const idleMiB = facts.idle_rss_kib / 1024;
const idleOk = idleMiB < 25;
rows.push(idleOk);
console.log(`RSS: idle ${idleMiB.toFixed(1)} MiB (goal < 25), after the runs ${(facts.loaded_rss_kib / 1024).toFixed(1)} MiB: ${met(idleOk)}`);
console.log(`Raw ceiling (GET /health/live, 64 connections): ${Number(facts.ceiling.rps).toFixed(0)} req/s, p99 ${facts.ceiling.p99}`);
console.log(`Machine: ${facts.cpu}, ${facts.cores} cores`);
console.log(`\n${rows.filter(Boolean).length} of ${rows.length} goals met`);
