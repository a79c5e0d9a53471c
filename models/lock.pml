/*
 * The order edit-lock (DESIGN.md "Order locks": PostgreSQL's order_locks row
 * is the arbiter, Redis the fast path), model-checked with spin, for one
 * order. Code: src/locks/lock_service.cpp (acquire, release), scripts.cpp
 * (the Lua scripts), lock_store.cpp (the SQL), src/orders/ (the fenced PATCH).
 *
 * Two clients, each trying twice: maybe a PATCH first (a tab whose lock may
 * be gone), then acquire; when granted, maybe a PATCH, then a release (the client lets go in its own view before it asks); when
 * refused, maybe a release all the same (a closing tab). A discrete clock
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
 * Left out: renew (the acquire's same-holder branch is its write), the
 * sweeper (it deletes only rows past expiry, which acquire already treats as
 * free), events, batching (one statement per write, each atomic as
 * PostgreSQL runs it), and the repair of Redis from PostgreSQL (it can only
 * turn a Redis "held" into the truth).
 */

#define TTL 2
#define MAXT 5

byte now = 0;
byte ph = 0, pe = 0;        /* the order_locks row: holder (0: none), expiry */
byte rh = 0, re = 0;        /* Redis's order_lock key: holder, expiry */
byte sh = 0, se = 0;        /* an older copy of Redis (a snapshot) */
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
  :: atomic { rh = sh; re = se }               /* back as the older copy */
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
  bool redis_granted, granted;
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
       :: rh != 0 && re > now && rh != c -> redis_granted = false   /* held: 409 from memory */
       :: else -> rh = c; re = now + TTL; redis_granted = true
       fi
     }
     granted = false;
#ifdef GRANT_BY_REDIS
     if :: redis_granted -> atomic { ph = c; pe = now + TTL; my_exp = pe }; granted = true :: else -> skip fi;
#else
     if
     :: redis_granted ->
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
        if                                      /* refused: the Redis grant is undone (compare-and-delete) */
        :: !granted -> atomic { if :: rh == c -> rh = 0 :: else -> skip fi }
        :: else -> skip
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
        atomic { if :: rh == c -> rh = 0 :: else -> skip fi }   /* unmirror: compare-and-delete */
     :: else -> skip
     fi
  :: round == 2 -> break
  od
}

init {
  atomic { run clock(); run redis_faults(); run client(1); run client(2) }
}
