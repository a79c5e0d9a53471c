/*
 * The order edit-lock (DESIGN.md "Order locks": PostgreSQL's order_locks row
 * is the arbiter, Redis the fast path), model-checked with spin, for one
 * order. Code: src/locks/lock_service.cpp (acquire, renew, release),
 * scripts.cpp (the Lua scripts), lock_store.cpp (the SQL), src/orders/ (the
 * fenced PATCH), src/app/app.cpp (the sweeper).
 *
 * Two clients, each trying twice: maybe a PATCH first (a tab whose lock may
 * be gone), then acquire; when granted, maybe a renewal, maybe a PATCH, then
 * a release (the client lets go in its own view before it asks); when
 * refused, maybe a release all the same (a closing tab). A sweeper deletes
 * expired rows at any step. A discrete clock
 * moves on at any step (a lock lives TTL ticks). Redis may lose its data,
 * and may come back as an older copy of itself holding an earlier lock
 * (each once, at any step).
 *
 * Properties:
 *   - no double grant: when a client takes in a grant that is still live,
 *     no other client holds a live grant in its own view (assert at each
 *     grant);
 *   - a PATCH is accepted only from the holder of a live lock in
 *     PostgreSQL at its commit (assert at each accepted PATCH).
 * Mutants (models/check.sh expects a counterexample from each):
 *   UPSERT_ANYWAY    the acquire's upsert without its WHERE (expired or ours)
 *   RELEASE_ANY      release without the holder check
 *   GRANT_BY_REDIS   a Redis grant taken as final, PostgreSQL not asked
 *   PATCH_BY_REDIS   the PATCH fenced by Redis's entry instead of the row
 *   NO_GRANT         asserts that nobody is ever granted (not vacuous)
 *   RENEW_ANY        the renewal's UPDATE without its holder and expiry check
 *   SWEEP_LIVE       the sweeper's DELETE without its expiry check
 * An acquire's Redis entry is unconfirmed ("pending") until PostgreSQL
 * grants it: only a confirmed entry of another holder answers 409 from
 * memory; an unconfirmed one sends the acquire to PostgreSQL.
 * With REDIS_PAUSES, Redis may also stop answering for good, at any step
 * (models/check.sh --long: 62M states, about 80 s, past CI's budget).
 * Clients stand for requests on any number of instances: an instance keeps
 * no lock state of its own, only its connections to the two stores.
 * Left out: force release (it takes a lock from a holder who still believes
 * in it, by design; the PATCH fence is what keeps that holder out, and it is
 * modelled), events (they report what the rows did), batching (one
 * statement per write, each atomic as PostgreSQL runs it; a batch of them is
 * one statement whose rows are each decided alone), and the repair of
 * Redis from PostgreSQL (it can only turn a Redis "held" into the truth).
 */

#define TTL 2
#define MAXT 4

byte now = 0;
byte ph = 0, pe = 0;        /* the order_locks row: holder (0: none), expiry */
byte rh = 0, re = 0;        /* Redis's order_lock key: holder, expiry */
bool rc = false;            /* ... confirmed (no "pending": PostgreSQL granted it) */
byte sh = 0, se = 0;        /* an older copy of Redis (a snapshot); its entry comes back
                               unconfirmed, which sends acquires to PostgreSQL: every path
                               a confirmed one would allow, and more */
bool paused = false;        /* Redis answers nothing from here on (REDIS_PAUSES only) */
bool bel[3];                /* client c holds a grant in its own view ... */
byte bexp[3];               /* ... until then */

proctype clock() {
  do
  :: now < MAXT -> now++
  :: now == MAXT -> break
  od
}

proctype redis_faults() {
  atomic { sh = rh; se = re };                 /* an older copy is taken */
  if
  :: atomic { rh = 0; re = 0 }                 /* FLUSHALL */
  :: atomic { rh = sh; re = se; rc = false }   /* back as the older copy */
#ifdef REDIS_PAUSES
  :: paused = true                             /* hung or down for good: no script gets a verdict */
#endif
  :: skip
  fi
}

/* PATCH /orders/{id} with X-Lock-Session: the lock checked and the order
   written in one statement (src/orders/), so the check holds at the commit. */
inline patch(c) {
  atomic {
#ifdef PATCH_BY_REDIS
    if :: rh == c && re > now -> assert(ph == c && pe > now) :: else -> skip fi
#else
    if :: ph == c && pe > now -> assert(ph == c && pe > now) :: else -> skip fi
#endif
  }
}

proctype client(byte c) {
  byte round = 0;
  bool redis_granted, asks_postgres, granted, renewed;
  byte my_exp;                                 /* the expiresAt of the grant's answer */
  do
  :: round < 2 ->
     round++;
     if                                         /* an edit from a tab whose lock may be gone */
     :: patch(c)
     :: skip
     fi;
     /* lock_service::acquire: the Redis script first (scripts.cpp acquire) */
     atomic {
       if
       :: paused -> redis_granted = false; asks_postgres = true   /* no verdict: PostgreSQL alone (fallback_postgres) */
       :: !paused && rh != 0 && re > now && rh != c && rc ->                 /* a confirmed holder: 409 from memory */
          redis_granted = false; asks_postgres = false
       :: !paused && rh != 0 && re > now && rh != c && !rc ->                /* unconfirmed (pending_other): PostgreSQL decides */
          redis_granted = false; asks_postgres = true
       :: !paused && rh == c && re > now -> re = now + TTL; redis_granted = true; asks_postgres = true   /* ours: refreshed */
       :: !paused && (rh == 0 || re <= now) -> rh = c; re = now + TTL; rc = false; redis_granted = true; asks_postgres = true   /* written pending */
       fi
     }
     granted = false;
#ifdef GRANT_BY_REDIS
     if :: redis_granted -> atomic { ph = c; pe = now + TTL; my_exp = pe }; granted = true :: else -> skip fi;
#else
     if
     :: asks_postgres ->
        atomic {                                /* lock_store::try_acquire: the upsert */
#ifdef UPSERT_ANYWAY
          ph = c; pe = now + TTL; my_exp = pe; granted = true
#else
          if
          :: ph == 0 || pe <= now || ph == c -> ph = c; pe = now + TTL; my_exp = pe; granted = true
          :: else -> skip
          fi
#endif
        }
        if                                      /* arbitration.cpp plan_acquire, then lock_service::apply */
        :: !granted && redis_granted -> atomic { if :: rh == c -> rh = 0 :: else -> skip fi }   /* drop_ours */
        :: granted && redis_granted -> atomic { if :: rh == c -> rc = true :: else -> skip fi }  /* confirm */
        :: granted && !redis_granted -> atomic { if :: !paused -> rh = c; re = pe; rc = true :: else -> skip fi }                    /* copy_row */
        :: !granted && !redis_granted -> skip
        fi
     :: else -> skip
     fi;
#endif
     if
     :: granted ->
        atomic {
#ifdef NO_GRANT
          assert(false);
#endif
          assert(my_exp <= now || !(bel[3 - c] && bexp[3 - c] > now));   /* no double grant (an answer that arrives expired grants nothing) */
          bel[c] = true; bexp[c] = my_exp
        }
        if                                      /* lock_service::renew (PUT .../lock), in the first round */
        :: round == 1 ->
           atomic {                             /* lock_store::renew: UPDATE ... WHERE holder AND expires_at > now() */
#ifdef RENEW_ANY
             pe = now + TTL; my_exp = pe; renewed = true
#else
             if :: ph == c && pe > now -> pe = now + TTL; my_exp = pe; renewed = true :: else -> renewed = false fi
#endif
           }
           atomic { if :: !paused && rh == c -> re = now + TTL :: else -> skip fi };   /* the mirror (scripts.cpp renew) */
           if
           :: renewed ->
              atomic {                          /* a 200: the client's lock now lasts until my_exp */
                assert(my_exp <= now || !(bel[3 - c] && bexp[3 - c] > now));
                bexp[c] = my_exp
              }
           :: else -> skip
           fi
        :: skip
        fi;
        if
        :: patch(c)
        :: skip
        fi;
        bel[c] = false                          /* let go in its own view, then release */
     :: else -> skip
     fi;
     if                                         /* lock_service::release (after a refusal too, sometimes) */
     :: granted || (!granted && round == 1) ->
        atomic {                                /* lock_store::release: the holder's live row only */
#ifdef RELEASE_ANY
          ph = 0
#else
          if :: ph == c && pe > now -> ph = 0 :: else -> skip fi
#endif
        }
        atomic { if :: !paused && rh == c -> rh = 0 :: else -> skip fi }   /* unmirror: compare-and-delete */
     :: else -> skip
     fi
  :: round == 2 -> break
  od
}

/* The sweeper (app.cpp sweep_locks, twice a second on every instance):
   lock_store::sweep's DELETE ... WHERE expires_at <= now(), once, at any
   step (a second sweep finds what the first would have: the state space
   doubles for nothing). */
proctype sweeper() {
  atomic {
#ifdef SWEEP_LIVE
    ph = 0
#else
    if :: ph != 0 && pe <= now -> ph = 0 :: else -> skip fi
#endif
  }
}

init {
  atomic { run clock(); run redis_faults(); run sweeper(); run client(1); run client(2) }
}
