-- 0003: revocations of refresh tokens in revoked_tokens too.
-- A refresh token that is used (rotated) or revoked (logout, reuse, family)
-- is recorded here like a revoked access token, so that Redis can answer
-- "is this refresh token live?" (POST /auth/transfer) exactly, with the same
-- marker and refill as access tokens (README "Token revocation").
-- `refresh` keeps them out of the revokedTokens count of /health, which
-- counts access tokens (logouts), as the seed's blacklist did.

ALTER TABLE revoked_tokens ADD COLUMN refresh boolean NOT NULL DEFAULT false;

-- Refresh tokens used or revoked before this migration, still unexpired.
INSERT INTO revoked_tokens (jti, user_id, expires_at, refresh)
SELECT jti, user_id, expires_at, true FROM refresh_tokens
WHERE (used_at IS NOT NULL OR revoked_at IS NOT NULL) AND expires_at > now()
ON CONFLICT (jti) DO NOTHING;
