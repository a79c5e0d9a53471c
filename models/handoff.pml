/*
 * The one-time SSO hand-off (API.md "POST /api/v1/auth/transfer/claim": of
 * any number of claims exactly one succeeds), model-checked with spin.
 * Code: src/auth/transfer.cpp.
 *
 * Two Redis servers: 0 is the master, 1 its replica, fed by asynchronous
 * replication (the queue `repl`, applied in order). A failover may come at
 * any step: 1 becomes the master and whatever 0 had not yet sent it is lost,
 * as with a promoted replica or a server restarted from an older snapshot
 * (both answer with another run_id). One creator stores a session and hands
 * its id to two claimers (the dashboard's tab, twice).
 *
 * Property: at most one claim succeeds (the assert in claimer).
 * Mutants (models/check.sh runs each and expects a counterexample):
 *   NO_SERVER_CHECK  claim() without the storedOn / run_id comparison
 *   GET_THEN_DEL     the claim reads, then deletes (not one GETDEL)
 *   ANY_CLAIM        asserts that no claim succeeds: its counterexample shows
 *                    that the model lets a claim through at all (not vacuous)
 * Left out: expiry (TTL) and the revocation checks of create (they only
 * refuse; revocation has its own model), a second failover or a failback
 * (the service never goes back to a server it left without a new run_id),
 * Redis Cluster (no storedOn there: README "Redis Sentinel" says so), and
 * a reconnect between a reply and the code reading run_id (it can only
 * turn a success into a refusal, never the other way).
 */

#define SET 1
#define DEL 2

bool has[4];       /* server s holds key k: has[2*s + k] */
byte stored_on[4]; /* the storedOn written with it there */
byte master = 0;
bool failed_over = false;
chan repl = [6] of { byte, byte, byte }; /* 0 -> 1: op, key, storedOn */
bool told = false;  /* the id has been handed to the dashboard */
byte key = 0;       /* the key whose id was handed */
byte claimed = 0;

/* One command applied by server s; a master's writes are queued for its replica. */
inline apply(s, op, k, st) {
  if
  :: op == SET -> has[2*s + k] = true; stored_on[2*s + k] = st
  :: op == DEL -> has[2*s + k] = false
  fi;
  if
  :: s == 0 && !failed_over -> repl!op,k,st
  :: else -> skip
  fi
}

active proctype replication() {
  byte op, k, st;
  do
  :: atomic { !failed_over && nempty(repl) -> repl?op,k,st;
       if
       :: op == SET -> has[2 + k] = true; stored_on[2 + k] = st
       :: op == DEL -> has[2 + k] = false
       fi }
  :: failed_over -> break
  od
}

active proctype failover() {
  atomic {
    !failed_over -> failed_over = true; master = 1;
    do
    :: nempty(repl) -> repl?_,_,_
    :: empty(repl) -> break
    od
  }
}

/* transfer_sessions::create, then store_again (a fresh key, 256 random bits:
   the abandoned one's id is told to nobody). */
active proctype creator() {
  byte stamp, k = 0;
  do
  :: k < 2 ->
     stamp = master;                 /* redis_.server_run_id() before the SET */
     atomic { apply(master, SET, k, stamp) } /* the SET reaches the master of its moment */
     if
     :: master == stamp ->           /* redis_.server_run_id() == stamp: keep it */
        key = k; told = true; break
     :: else ->                      /* forget(id), then store_again */
        atomic { apply(master, DEL, k, 0) }
        k++
     fi
  :: k == 2 -> break                 /* unavailable_error: 503, nothing told */
  od
}

/* transfer_sessions::claim */
proctype claimer() {
  byte s, got_on;
  bool got = false;
  told;
#ifdef GET_THEN_DEL
  atomic { s = master; if :: has[2*s + key] -> got = true; got_on = stored_on[2*s + key] :: else -> skip fi }
  atomic { s = master; apply(s, DEL, key, 0) }
#else
  atomic {                           /* redis_.getdel(key) on the master of its moment */
    s = master;
    if
    :: has[2*s + key] -> got = true; got_on = stored_on[2*s + key]; apply(s, DEL, key, 0)
    :: else -> skip
    fi
  }
#endif
#ifndef NO_SERVER_CHECK
  if                                 /* grant->stored_on != answering: refused */
  :: got && got_on != s -> got = false
  :: else -> skip
  fi
#endif
  atomic {
    if :: got -> claimed++ :: else -> skip fi;
#ifdef ANY_CLAIM
    assert(claimed == 0)
#else
    assert(claimed <= 1)
#endif
  }
}

init {
  run claimer();
  run claimer()
}
