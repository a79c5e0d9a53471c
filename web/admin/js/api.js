// The API client of the dashboard: where the API is (/config.js), the
// tokens (localStorage, so that every tab of this browser shares one
// sign-in), refresh before expiry (one tab at a time, under a Web Lock), and
// every failure turned into an ApiError with a message fit to show.
import config from '/config.js';

export { config };

const storageKey = 'bakewind.auth';
const refreshEarlyMs = 60_000;

/** A failed API call: status 0 when the API could not be reached. */
export class ApiError extends Error {
  constructor(status, message, body = null) {
    super(message);
    this.status = status;
    this.body = body;
    this.messages = body && Array.isArray(body.message) ? body.message : [message];
  }
}

// ----------------------------------------------------------------- tokens

export function readTokens() {
  try {
    const value = JSON.parse(localStorage.getItem(storageKey) || 'null');
    return value && value.accessToken && value.refreshToken ? value : null;
  } catch {
    return null;
  }
}

export function storeTokens(tokens) {
  localStorage.setItem(storageKey, JSON.stringify({ accessToken: tokens.accessToken, refreshToken: tokens.refreshToken }));
  scheduleRefresh();
}

export function clearTokens() {
  localStorage.removeItem(storageKey);
  clearTimeout(refreshTimer);
}

/** The claims of a JWT (not verified: the API does that), or {}. */
export function claimsOf(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part));
  } catch {
    return {};
  }
}

const msLeft = (token) => (claimsOf(token).exp || 0) * 1000 - Date.now();

// How long before expiry to refresh: a minute, or a quarter of a short lifetime.
function refreshMargin(token) {
  const { exp = 0, iat = 0 } = claimsOf(token);
  return Math.min(refreshEarlyMs, ((exp - iat) * 1000) / 4);
}

let refreshTimer = 0;
const tokenListeners = new Set();
let signedOutHandler = () => {};

/** `fn(tokens)` runs after every refresh (the WebSocket reconnects with the new token). */
export function onTokens(fn) {
  tokenListeners.add(fn);
  return () => tokenListeners.delete(fn);
}

/** What to do once the sign-in is gone for good (refresh refused, revoked). */
export function onSignedOut(fn) {
  signedOutHandler = fn;
}

/** Ends the sign-in in this tab: clears the tokens and calls the signed-out handler. */
export function signedOut(reason) {
  clearTokens();
  signedOutHandler(reason);
}

/** Arms the timer that refreshes the access token a minute before it expires. */
export function scheduleRefresh() {
  clearTimeout(refreshTimer);
  const tokens = readTokens();
  if (!tokens) return;
  const wait = Math.max(0, msLeft(tokens.accessToken) - refreshMargin(tokens.accessToken));
  refreshTimer = setTimeout(() => {
    refreshTokens(tokens.accessToken).catch(() => {});
  }, Math.min(wait, 2 ** 31 - 1));
}

/**
 * Gets a new token pair unless another tab already did. `stale` is the
 * access token this tab found too old. Rotation revokes the refresh token
 * used, so two tabs must never refresh with the same one: the Web Lock makes
 * them take turns, and the second adopts what the first stored.
 */
export async function refreshTokens(stale) {
  const run = async () => {
    const stored = readTokens();
    if (!stored) throw new ApiError(401, 'You are signed out.');
    if (stored.accessToken !== stale && msLeft(stored.accessToken) > refreshMargin(stored.accessToken)) {
      scheduleRefresh();
      tokenListeners.forEach((fn) => fn(stored));
      return stored;
    }
    let res;
    try {
      res = await fetch(`${config.apiUrl}/api/v1/auth/refresh`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ refreshToken: stored.refreshToken }),
      });
    } catch {
      throw new ApiError(0, 'Cannot reach BakeWind. Check your connection and try again.');
    }
    if (res.status === 401) {
      signedOut('Your session has ended. Please sign in again.');
      throw new ApiError(401, 'Your session has ended. Please sign in again.');
    }
    if (!res.ok) throw await errorFrom(res);
    const fresh = await res.json();
    storeTokens(fresh);
    tokenListeners.forEach((fn) => fn(fresh));
    return fresh;
  };
  if (navigator.locks) return navigator.locks.request('bakewind-token-refresh', run);
  return run();
}

// ---------------------------------------------------------------- requests

/** The text to show for an API answer that is not a success. */
export async function errorFrom(res) {
  let body = null;
  try { body = await res.json(); } catch { /* not JSON */ }
  const message = body && body.message;
  if (res.status === 429) {
    const wait = Number(res.headers.get('Retry-After'));
    const when = wait > 0 ? `in ${wait} second${wait === 1 ? '' : 's'}` : 'in a moment';
    return new ApiError(429, `Too many attempts. Please try again ${when}.`, body);
  }
  if (res.status === 503) return new ApiError(503, 'BakeWind is temporarily unavailable. Please try again in a moment.', body);
  if (res.status >= 500) return new ApiError(res.status, 'Something went wrong on our side. Please try again.', body);
  if (res.status === 403) return new ApiError(403, 'Only owners and admins can do that.', body);
  if (res.status === 413) return new ApiError(413, 'That is too much data to save at once.', body);
  if (Array.isArray(message)) return new ApiError(res.status, message.join('. '), body);
  return new ApiError(res.status, message || `The request failed (${res.status}).`, body);
}

/**
 * Calls the API with the current access token; on a 401 it refreshes once
 * and tries again. Returns the parsed JSON (null for 204); throws ApiError.
 * `expect` lists statuses that are answers rather than failures (their body
 * is returned as {status, body}).
 */
export async function api(method, path, { body, headers = {}, keepalive = false, expect = [] } = {}) {
  for (let attempt = 0; ; attempt += 1) {
    const tokens = readTokens();
    if (!tokens) {
      signedOut('You are signed out.');
      throw new ApiError(401, 'You are signed out.');
    }
    const init = { method, headers: { ...headers, Authorization: `Bearer ${tokens.accessToken}` }, keepalive };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(config.apiUrl + path, init);
    } catch {
      throw new ApiError(0, 'Cannot reach BakeWind. Check your connection and try again.');
    }
    if (res.status === 401 && attempt === 0) {
      await refreshTokens(tokens.accessToken);
      continue;
    }
    if (expect.includes(res.status)) {
      const data = res.status === 204 ? null : await res.json().catch(() => null);
      return { status: res.status, body: data };
    }
    if (!res.ok) throw await errorFrom(res);
    if (res.status === 204) return null;
    return res.json();
  }
}

/** POST /auth/transfer/claim: the one-time hand-off from the website (no token yet). */
export async function claimTransfer(sessionId) {
  let res;
  try {
    res = await fetch(`${config.apiUrl}/api/v1/auth/transfer/claim`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ sessionId }),
    });
  } catch {
    throw new ApiError(0, 'Cannot reach BakeWind. Check your connection and try again.');
  }
  if (!res.ok) throw await errorFrom(res);
  return res.json();
}

/** Revokes this sign-in (access and refresh token) and forgets it here. */
export async function logout() {
  const tokens = readTokens();
  clearTokens();
  if (!tokens) return;
  try {
    await fetch(`${config.apiUrl}/api/v1/auth/logout`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${tokens.accessToken}` },
      body: JSON.stringify({ refreshToken: tokens.refreshToken }),
    });
  } catch {
    // Offline: the tokens are forgotten here and expire on their own.
  }
}
