/*
 * Token revocation (API.md: a logged-out token is refused at once on every
 * instance; DESIGN.md "Revocation and transfer sessions"), model-checked
 * with spin. Code: src/auth/revocation.cpp, src/redis/mirror.cpp,
 * src/redis/server_identity.hpp, src/redis/service_batch.cpp.
 *
 * One instance. PostgreSQL holds the record; Redis answers for it only while
 * the marker is in the same reply and no connection has reached another
 * server since the last complete refill. Two Redis servers: 0, which the
 * instance reaches first, and 1, an older copy of it (a replica that missed
 * writes, a server restarted from an old snapshot): it still holds a marker
 * but not the revocation. At any step Redis may lose its data (FLUSHALL) and
 * the connection may move to server 1 (once each).
 *
 * The token is revoked one of two ways: its own logout, or its user's
 * logout-all (a cutoff it was issued before, one more key read in the same
 * MGET and copied by the same refill).
 *
 * Property: once the logout or logout-all has been answered, no check
 * accepts the token.
 * Mutants (models/check.sh expects a counterexample from each):
 *   NO_MARKER         trust Redis without the marker in the reply
 *   NO_SERVER_CHANGE  trust Redis across a change of server (run_id)
 *   NO_SEAL_TOKEN     a refill sets its marker even where its token is gone
 *   NO_CUTOFF_REFILL  a refill copies revocations but not cutoffs
 *   REDIS_NEVER       asserts that Redis never answers a check: its
 *                     counterexample shows the fast path is used at all
 * Left out: refresh rotation (refresh.pml: PostgreSQL alone decides it; its
 * revocations go through this same path), several instances (each
 * judges its own connections; they share only the two stores), Redis down
 * (every check goes to PostgreSQL), and expiry (a revocation outlives its
 * token).
 */

bool revoked_pg = false;    /* the record: revocation_store */
bool cut_pg = false;        /* ... the user's logout-all cutoff (users.tokens_valid_after) */
bool rev[2];                /* server s holds the revocation key */
bool cut[2];                /* ... the cutoff key (the token was issued before it) */
bool marker[2];             /* ... the marker */
bool token[2];              /* ... the token key of the refill under way */
byte srv = 0;               /* the server the connection reaches */
byte changes = 1;           /* server_history::changes(): the first connection counts */
byte refilled_at = 0;       /* refill_mark: changes() when the last complete refill began */
bool answered = false;      /* the logout's 204 has been sent */
bool answered_all = false;  /* the logout-all's 204 has been sent */


/* revocation::revoke: the record first, then Redis (redis_write). */
proctype logout() {
  revoked_pg = true;
  atomic { rev[srv] = true };
  answered = true
}

/* revocation::revoke_all: the cutoff recorded, then written to Redis. */
proctype logout_all() {
  cut_pg = true;
  atomic { cut[srv] = true };
  answered_all = true
}

proctype flush() {
  atomic { rev[srv] = false; cut[srv] = false; marker[srv] = false; token[srv] = false }
}

/* A connection reaches another server: server_history::note counts it. */
proctype switch_server() {
  atomic { srv = 1; changes++ }
}

/* mirror::refill under refill_until_current, twice at most. */
proctype refill() {
  byte at, runs = 0;
  bool sealed;
  do
  :: runs < 2 && refilled_at != changes ->
     runs++;
     at = changes;                                   /* refill_mark::now() */
     atomic { token[srv] = true };                   /* service::begin_refill */
     atomic { if :: revoked_pg -> rev[srv] = true :: else -> skip fi }  /* fill_: the record copied */
#ifndef NO_CUTOFF_REFILL
     atomic { if :: cut_pg -> cut[srv] = true :: else -> skip fi }      /* ... its recent cutoffs too */
#endif
     atomic {                                        /* service::seal_refill */
#ifdef NO_SEAL_TOKEN
       marker[srv] = true; sealed = true
#else
       if
       :: token[srv] -> marker[srv] = true; token[srv] = false; sealed = true
       :: else -> sealed = false
       fi
#endif
     }
     if                                              /* refill_mark::completed */
     :: sealed && at == changes -> refilled_at = at
     :: else -> skip
     fi
  :: else -> break
  od
}

/* revocation::is_revoked: MGET of the key and the marker, then read_answer. */
proctype check() {
  bool trusted, accepted;
  byte n = 0;
  answered || answered_all;
  do
  :: n < 3 ->
     n++;
     atomic {
#if defined(NO_MARKER)
       trusted = refilled_at == changes;
#elif defined(NO_SERVER_CHANGE)
       trusted = marker[srv];
#else
       trusted = marker[srv] && refilled_at == changes;   /* mirror::trusted */
#endif
       if
       :: trusted -> accepted = !rev[srv] && !cut[srv]   /* one MGET: the key, the cutoff, the marker */
       :: else -> accepted = !revoked_pg && !cut_pg        /* ask_record */
       fi;
#ifdef REDIS_NEVER
       assert(!trusted)
#else
       assert(!accepted)
#endif
     }
  :: else -> break
  od
}

init {
  atomic {
    marker[1] = true;       /* the older copy was refilled once, before the logout */
    if
    :: run logout()
    :: run logout_all()
    fi;
    run flush(); run switch_server(); run refill(); run check()
  }
}
