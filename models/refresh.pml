/*
 * Refresh rotation with reuse detection (API.md: POST /auth/refresh, "used
 * before ... Token has been revoked"), model-checked with spin. Code:
 * src/auth/token_store.cpp (rotate: use_up, the successor's INSERT,
 * refusal, revoke_family, one transaction), src/auth/tokens.cpp (refresh).
 *
 * One family: a refresh token t1 and, once t1 is used up, its successor t2.
 * Two clients hold t1 (its owner and a thief with a copy) and present it at
 * once; whoever gets t2 presents it next. PostgreSQL runs each transaction
 * as READ COMMITTED does with the row lock on t1: the UPDATE that uses t1 up
 * waits for the other's commit, and a refusal's statements see what was
 * committed before each of them.
 *
 * Properties (assertions):
 *   - of the two presentations of t1 at most one succeeds;
 *   - once a reuse has been answered (401, the family revoked), no token of
 *     the family is accepted: not t2 either.
 * Mutants (models/check.sh expects a counterexample from each):
 *   CHECK_THEN_USE     t1's state read, then set, in two steps
 *   SUCCESSOR_LATER    t2 recorded after the transaction that used t1 up
 *                      committed (the code before this model: a refusal
 *                      in between revoked the family without t2)
 *   NO_FAMILY_REVOKE   a reuse refused but the family left alone
 *   NO_REFRESH         asserts that no rotation ever succeeds (not vacuous)
 * Left out: expiry and logout-all's cutoff (each one more condition of the
 * same UPDATE, decided in the same step), the revocation mirror in Redis
 * (revocation.pml), and the access tokens a rotation issues (they live out
 * their 15 minutes by design).
 */

bool used1 = false, revoked1 = false;     /* t1's row: used_at, revoked_at */
bool exists2 = false, used2 = false, revoked2 = false;   /* t2's row */
bool won[3];                              /* client c got t2 */
bool reuse_answered = false;              /* a 401 for a reuse has been sent */

/* token_store::rotate(t1) for client c, then, when it won, rotate(t2). */
proctype client(byte c) {
  bool live;
#ifdef CHECK_THEN_USE
  atomic { live = !used1 && !revoked1 };
  if
  :: live -> atomic { used1 = true; won[c] = true; exists2 = true }
  :: else -> skip
  fi;
#else
  atomic {                                  /* use_up: UPDATE ... WHERE used_at IS NULL AND revoked_at IS NULL */
    if
    :: !used1 && !revoked1 ->
       used1 = true; won[c] = true;
#ifndef SUCCESSOR_LATER
       exists2 = true                       /* the successor's INSERT, same transaction */
#endif
    :: else -> skip
    fi
  }
#endif
  if
  :: won[c] ->
     assert(!won[3 - c]);                   /* at most one presentation succeeds */
#ifdef NO_REFRESH
     assert(false);
#endif
#ifdef SUCCESSOR_LATER
     exists2 = true;                        /* record_issued, after the commit */
#endif
     atomic {                               /* rotate(t2) */
       if
       :: exists2 && !used2 && !revoked2 -> used2 = true; assert(!reuse_answered)
       :: else -> skip
       fi
     }
  :: else ->
     if                                     /* refusal: used before, so its family goes */
     :: used1 ->
#ifndef NO_FAMILY_REVOKE
        atomic { revoked1 = true; revoked2 = revoked2 || exists2 };   /* revoke_family */
#endif
        reuse_answered = true
     :: else -> skip
     fi
  fi
}

init {
  atomic { run client(1); run client(2) }
}
