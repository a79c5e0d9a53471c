// Live events (API.md "Live events"): one WebSocket per tab, authenticated
// with the current access token. Views subscribe by event type. After every
// token refresh it reconnects with the new token; after a drop it reconnects
// with backoff and tells subscribers ("open" with {resumed: true}) so they
// re-read what they may have missed. Close code 4001 means the token expired
// or was revoked: unless another tab has already stored newer tokens, or a
// refresh works, the tab is signed out.
import { config, readTokens, refreshTokens, signedOut, onTokens } from './api.js';

const listeners = new Map();
let socket = null;
let socketToken = null;
let wanted = false;
let attempts = 0;
let retryTimer = 0;
let pingTimer = 0;
let opened = false;

function emit(type, event) {
  for (const fn of listeners.get(type) || []) {
    try { fn(event); } catch (error) { console.error(error); }
  }
}

/** Calls `fn(event)` for events of `type` ("order.locked", ..., or "open"); returns the unsubscribe function. */
export function on(type, fn) {
  if (!listeners.has(type)) listeners.set(type, new Set());
  listeners.get(type).add(fn);
  return () => listeners.get(type).delete(fn);
}

/** True while the socket is open. */
export const isOpen = () => socket !== null && socket.readyState === WebSocket.OPEN;

function url(token) {
  const base = config.apiUrl.replace(/^http/, 'ws');
  return `${base}/api/v1/ws?access_token=${encodeURIComponent(token)}`;
}

function open() {
  clearTimeout(retryTimer);
  const tokens = readTokens();
  if (!wanted || !tokens) return;
  const ws = new WebSocket(url(tokens.accessToken));
  socket = ws;
  socketToken = tokens.accessToken;
  ws.addEventListener('open', () => {
    if (socket !== ws) return;
    const resumed = opened;
    opened = true;
    attempts = 0;
    clearInterval(pingTimer);
    pingTimer = setInterval(() => { if (ws.readyState === WebSocket.OPEN) ws.send('{"type":"ping"}'); }, 25_000);
    document.documentElement.dataset.live = 'open'; // for tests and styling
    emit('open', { resumed });
  });
  ws.addEventListener('message', (message) => {
    if (socket !== ws) return;
    let event;
    try { event = JSON.parse(message.data); } catch { return; }
    if (event && event.type) emit(event.type, event);
  });
  ws.addEventListener('close', (event) => {
    if (socket !== ws) return;
    socket = null;
    clearInterval(pingTimer);
    document.documentElement.dataset.live = 'closed';
    if (!wanted) return;
    if (event.code === 4001) {
      afterAuthClose(ws.usedToken);
      return;
    }
    emit('down', {});
    attempts += 1;
    retryTimer = setTimeout(open, Math.min(500 * 2 ** (attempts - 1), 5000));
  });
  ws.usedToken = tokens.accessToken;
}

// The token of this socket is dead: adopt newer tokens or refresh, else sign out.
async function afterAuthClose(usedToken) {
  const stored = readTokens();
  if (!stored) {
    signedOut('You were signed out in another tab, or your session ended.');
    return;
  }
  try {
    await refreshTokens(usedToken);
    open();
  } catch (error) {
    if (error.status === 401) signedOut('You were signed out in another tab, or your session ended.');
    else retryTimer = setTimeout(open, 2000);
  }
}

/** Opens the socket (once signed in). */
export function connect() {
  wanted = true;
  if (!socket) open();
}

/** Closes the socket for good (sign out). */
export function disconnect() {
  wanted = false;
  clearTimeout(retryTimer);
  clearInterval(pingTimer);
  if (socket) {
    const ws = socket;
    socket = null;
    ws.close(1000);
  }
  opened = false;
}

// A new token: reconnect with it before the old one expires.
onTokens((tokens) => {
  if (!wanted || tokens.accessToken === socketToken) return;
  const old = socket;
  socket = null;
  if (old) old.close(1000);
  open();
});
