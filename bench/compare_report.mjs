// Prints bench/compare.sh's verdict: each scenario's throughput and latency
// for BakeWind (default configuration) and the NestJS reference, the
// ceilings, logging's cost, the open-loop tail and the abuse run, then each
// goal of issue 20 (and the ones kept from issue 9) as MET or NOT MET with
// its figures. Exits 0 whatever the verdict: the table is the result.
//
//   node compare_report.mjs BAKEWIND.json NESTREF.json BAKEWIND_C1024.json FACTS.json
import { readFileSync } from "node:fs";

const [ours, ref, wide, facts] = process.argv.slice(2).map((f) => JSON.parse(readFileSync(f, "utf8")));

const n0 = (x) => Math.round(x).toLocaleString("en-US");
const ms = (x) => `${Number(x).toFixed(2)} ms`;
const pct = (x) => `${(100 * x).toFixed(0)} %`;
const runs = (r) => (r.runs && r.runs.length > 1 ? ` (runs ${r.runs.map(n0).join(" / ")})` : "");
const errors = (r) => (r.errors ?? r.non2xx + r.connect_err + r.read_err + r.write_err + r.timeouts);

console.log(`\n${"scenario".padEnd(11)} ${"BakeWind/s".padStart(10)} ${"p99 ms".padStart(7)}  ${"NestJS/s".padStart(9)} ${"p99 ms".padStart(7)}  ${"ratio".padStart(6)}`);
for (const name of ["me", "order_get", "lock_cycle", "claim"]) {
  const a = ours.scenarios[name];
  const b = ref.scenarios[name];
  if (!a || !b) continue;
  console.log(
    `${name.padEnd(11)} ${n0(a.rps).padStart(10)} ${a.p99_ms.toFixed(2).padStart(7)}  ${n0(b.rps).padStart(9)} ${b.p99_ms.toFixed(2).padStart(7)}  ${((a.rps / b.rps).toFixed(1) + "x").padStart(6)}`,
  );
}

const raw = facts.raw_ceiling;
const own = facts.own_ceiling;
console.log(`\nRaw ceiling (bench/raw_ceiling: Beast, 1 thread, GET / -> {"ok":true}; me's wrk settings): ${n0(raw.rps)} req/s, p99 ${ms(raw.p99_ms)}${runs(raw)}`);
console.log(`Own HTTP layer ceiling (GET /health/live, default configuration): ${n0(own.rps)} req/s, p99 ${ms(own.p99_ms)}${runs(own)}`);

const log = facts.logging;
console.log(
  `Logging (me, alternating runs): default ${n0(log.default.rps)} req/s${runs(log.default)}, LOG_LEVEL=warn ${n0(log.warn.rps)} req/s${runs(log.warn)}; ` +
    `the default run wrote ${n0(log.default_log_lines)} log lines (${(log.default_log_bytes / 2 ** 20).toFixed(0)} MiB) to its file`,
);

const open = facts.open_loop;
const openLine = (r) =>
  r ? `p50 ${ms(r.p50_ms)}, p99 ${ms(r.p99_ms)}, max ${ms(r.max_ms)}, errors ${r.non_2xx + r.failures}` : "did not run";
console.log(`me at a fixed ${n0(open.rate)} req/s (open loop), 1024 connections: ${openLine(open.c1024)}`);
console.log(`me at a fixed ${n0(open.rate)} req/s (open loop), 64 connections: ${openLine(open.c64)}`);

// A closed loop of 1,024 connections at saturation: its latency is the
// queue's (Little's law), so this is information, not a goal.
const w = wide.scenarios.me;
if (w) console.log(`me at 1024 connections (closed loop): ${n0(w.rps)} req/s, p99 ${ms(w.p99_ms)}, errors ${errors(w)}`);

const abuse = facts.abuse;
const ab = abuse.run;
const heldMiB = (ab.rss_kib.held - abuse.idle_rss_kib) / 1024;
const kept = ab.with.rps / ab.alone.rps;
console.log(
  `Abuse (${n0(ab.ws)} idle WebSockets, ${n0(ab.slow)} slowloris; fresh server): held ${n0(ab.ws_held)} WebSockets (${ab.ws_refused} refused), ${n0(ab.slow_held)} slowloris; ` +
    `RSS idle ${(abuse.idle_rss_kib / 1024).toFixed(1)} MiB, with them ${(ab.rss_kib.held / 1024).toFixed(1)} MiB; ` +
    `me ${n0(ab.alone.rps)} req/s alone, ${n0(ab.with.rps)} with them (p99 ${ms(ab.alone.p99_ms)} / ${ms(ab.with.p99_ms)}, errors ${ab.alone.errors} / ${ab.with.errors})`,
);
if (ab.end) console.log(`  abuser: ${ab.end}`);

// Each goal: [what, met, figures].
const goals = [];
const ratio = (name, want) => {
  const a = ours.scenarios[name];
  const b = ref.scenarios[name];
  if (!a || !b) return goals.push([`${name} >= ${want}x the reference`, false, "not measured (not in SCENARIOS)"]);
  const r = a.rps / b.rps;
  goals.push([`${name} >= ${want}x the reference`, r >= want, `${r.toFixed(1)}x (${n0(a.rps)} / ${n0(b.rps)} req/s)`]);
};
ratio("me", 20);
const me = ours.scenarios.me;
goals.push([
  "me >= 50 % of the raw ceiling",
  !!me && me.rps >= raw.rps / 2,
  me ? `${pct(me.rps / raw.rps)} (${n0(me.rps)} / ${n0(raw.rps)} req/s)` : "not measured",
]);
ratio("order_get", 15);
ratio("claim", 15);
ratio("lock_cycle", 10);
const logShare = log.default.rps / log.warn.rps;
goals.push(["me (default log) >= 90 % of me (LOG_LEVEL=warn)", logShare >= 0.9, `${pct(logShare)} (${n0(log.default.rps)} / ${n0(log.warn.rps)} req/s)`]);
const o = open.c1024;
goals.push([
  `open loop at a quarter of the raw ceiling (${n0(open.rate)} req/s), 1024 connections: p99 <= 5 ms`,
  !!o && o.p99_ms <= 5 && o.non_2xx + o.failures === 0,
  o ? `p99 ${ms(o.p99_ms)}, errors ${o.non_2xx + o.failures}` : "did not run",
]);
goals.push([
  `RSS holding ${n0(ab.ws)} WebSockets + ${n0(ab.slow)} slowloris <= idle + 50 MB, me keeping >= 90 % of its throughput`,
  ab.ws_refused === 0 && heldMiB * 2 ** 20 <= 50e6 && kept >= 0.9 && ab.with.errors === 0,
  `+${heldMiB.toFixed(1)} MiB; me with them at ${pct(kept)} of alone; ${ab.ws_refused} refused`,
]);
const bytes = facts.revoked_key_bytes;
goals.push([
  "(issue 9) Redis bytes per revoked token <= a third of the reference's",
  bytes.bakewind > 0 && bytes.bakewind <= bytes.nestref / 3,
  `${bytes.bakewind} (reference ${bytes.nestref}, a third ${(bytes.nestref / 3).toFixed(0)})`,
]);
const idleMiB = facts.idle_rss_kib / 1024;
goals.push([
  "(issue 9) idle RSS < 25 MiB",
  idleMiB < 25,
  `${idleMiB.toFixed(1)} MiB (${(facts.loaded_rss_kib / 1024).toFixed(1)} MiB after the scenarios)`,
]);

console.log("\nGoals (issue 20, BakeWind in its default configuration):");
for (const [what, ok, figures] of goals) console.log(`  ${(ok ? "MET" : "NOT MET").padEnd(8)} ${what}: ${figures}`);
console.log("  (issue 9's RSS flat over a soak: bench/soak.sh, not part of this run)");
console.log(`\n${goals.filter((g) => g[1]).length} of ${goals.length} goals met`);
console.log(`Machine: ${facts.cpu}, ${facts.cores} cores, load average at the start ${facts.load_at_start}; REPEAT=${facts.repeat}`);
