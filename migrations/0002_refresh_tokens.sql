-- 0002: refresh tokens, for single-use rotation and family revocation
-- (RFC 9700 reuse detection). One row per issued refresh token.

CREATE TABLE refresh_tokens (
  jti         text PRIMARY KEY,
  family_id   uuid NOT NULL,                -- every token descended from one login
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz NULL,             -- rotated: presenting it again is reuse
  revoked_at  timestamptz NULL              -- logged out, or its family was revoked
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_expires_idx ON refresh_tokens (expires_at);
