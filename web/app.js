// keyfin web: sign in, then Dashboard > API Keys (list, create, copy,
// revoke), sign out.
//
// Rules kept throughout: text from the server (app names, user names) only
// ever goes through textContent or setAttribute, never through HTML; the
// session token lives in sessionStorage (gone when the tab closes) and never
// in a URL; every message is in words and reaches screen readers through the
// live regions #status (polite) and #alert (assertive).

import * as api from './api.js';

const SESSION_KEY = 'keyfin.session';
const NEVER_YEAR = '0001';

const $ = (id) => document.getElementById(id);

const el = {
  loading: $('view-loading'),
  login: $('view-login'),
  denied: $('view-denied'),
  keys: $('view-keys'),
  status: $('status'),
  alert: $('alert'),
  session: $('session'),
  sessionName: $('session-name'),
  signOut: $('sign-out'),
  insecure: $('insecure'),
  loginForm: $('login-form'),
  loginTitle: $('login-title'),
  username: $('username'),
  password: $('password'),
  signIn: $('sign-in'),
  deniedTitle: $('denied-title'),
  deniedName: $('denied-name'),
  switchUser: $('switch-user'),
  keysTitle: $('keys-title'),
  addKey: $('add-key'),
  table: $('keys-table'),
  body: $('keys-body'),
  empty: $('keys-empty'),
  count: $('keys-count'),
  newKey: $('new-key'),
  newKeyTitle: $('new-key-title'),
  newKeyValue: $('new-key-value'),
  newKeyCopy: $('new-key-copy'),
  newKeyDismiss: $('new-key-dismiss'),
  createDialog: $('create-dialog'),
  createForm: $('create-form'),
  appName: $('app-name'),
  createError: $('create-error'),
  createCancel: $('create-cancel'),
  createSubmit: $('create-submit'),
  revokeDialog: $('revoke-dialog'),
  revokeText: $('revoke-text'),
  revokeError: $('revoke-error'),
  revokeCancel: $('revoke-cancel'),
  revokeConfirm: $('revoke-confirm'),
};

const state = {
  session: null, // {token, name}
  keys: [], // server order: oldest first
  newKey: null, // {key, app} just created, shown at the top
  revoking: null, // {key, app} waiting for confirmation
};

// ---------------------------------------------------------------- session --

function loadSession() {
  try {
    const s = JSON.parse(sessionStorage.getItem(SESSION_KEY) || 'null');
    if (s && typeof s.token === 'string' && /^[0-9a-f]{32}$/.test(s.token)) {
      return { token: s.token, name: String(s.name || '') };
    }
  } catch {
    // unreadable: signed out
  }
  return null;
}

function saveSession(s) {
  state.session = s;
  try {
    if (s) sessionStorage.setItem(SESSION_KEY, JSON.stringify(s));
    else sessionStorage.removeItem(SESSION_KEY);
  } catch {
    // storage disabled: the session lasts as long as the page
  }
}

// --------------------------------------------------------------- messages --

function say(text) {
  el.alert.textContent = '';
  el.status.textContent = text;
}

function fail(text) {
  el.status.textContent = '';
  el.alert.textContent = text;
}

function quiet() {
  el.status.textContent = '';
  el.alert.textContent = '';
}

function words(e) {
  switch (e && e.kind) {
    case 'unreachable':
      return 'Cannot reach the keyfin server. Check your network connection and that the server is running, then try again.';
    case 'unavailable':
      return `The keyfin server is unavailable at the moment (HTTP ${e.status}). Try again in a minute.`;
    case 'unauthorized':
      return 'Your session has ended. Sign in again.';
    case 'forbidden':
      return 'You are not an administrator: only an administrator can manage API keys.';
    case 'bad-request':
      return `The server refused the request (HTTP ${e.status}).`;
    default:
      return `Something went wrong on the server${e && e.status ? ` (HTTP ${e.status})` : ''}. Try again.`;
  }
}

// ------------------------------------------------------------------ views --

function show(view) {
  for (const v of [el.loading, el.login, el.denied, el.keys]) v.hidden = v !== view;
  document.getElementById('main').dataset.view = view.id.replace(/^view-/, '');
  const signedIn = view === el.keys || view === el.denied;
  el.session.hidden = !signedIn;
  el.sessionName.textContent = signedIn && state.session ? state.session.name : '';
  document.title = view === el.keys ? 'API Keys – keyfin' : view === el.denied ? 'Not an administrator – keyfin' : 'Sign in – keyfin';
}

function showLogin({ focus = true } = {}) {
  closeDialogs();
  state.keys = [];
  state.newKey = null;
  el.body.replaceChildren();
  el.password.value = '';
  setBusy(el.signIn, false);
  show(el.login);
  if (focus) (el.username.value ? el.password : el.username).focus();
}

function showDenied() {
  closeDialogs();
  el.deniedName.textContent = state.session ? state.session.name : '';
  show(el.denied);
  el.deniedTitle.focus();
}

// The session is gone (401): back to the login form, saying so.
function sessionEnded() {
  saveSession(null);
  showLogin();
  fail('Your session has ended. Sign in again.');
}

// Errors every signed-in action shares. Returns true when handled here.
function handleCommon(e) {
  if (e.kind === 'unauthorized') {
    sessionEnded();
    return true;
  }
  if (e.kind === 'forbidden') {
    showDenied();
    return true;
  }
  return false;
}

function setBusy(button, busy) {
  button.disabled = busy;
  button.setAttribute('aria-busy', busy ? 'true' : 'false');
}

// ------------------------------------------------------------------ dates --

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

// Jellyfin's dates have up to 7 fractional digits; Date wants at most 3.
function parseDate(s) {
  if (!s || s.startsWith(NEVER_YEAR)) return null;
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?$/.exec(s);
  if (!m) return null;
  const d = new Date(`${m[1]}.${(m[2] || '0').slice(0, 3).padEnd(3, '0')}${m[3] || 'Z'}`);
  return Number.isNaN(d.getTime()) ? null : d;
}

function dateNode(s) {
  const d = parseDate(s);
  if (!d) {
    const span = document.createElement('span');
    span.className = 'never';
    span.textContent = 'never';
    return span;
  }
  const t = document.createElement('time');
  t.dateTime = d.toISOString();
  t.title = d.toISOString();
  t.textContent = dateFormat.format(d);
  return t;
}

// ------------------------------------------------------------------- keys --

function node(tag, { className, text, attrs } = {}, children = []) {
  const n = document.createElement(tag);
  if (className) n.className = className;
  if (text !== undefined) n.textContent = text;
  if (attrs) for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
  for (const c of children) n.append(c);
  return n;
}

function appLabel(app) {
  return app.trim() === '' ? '(no name)' : app;
}

function render() {
  const rows = [];
  // Newest first, so a new key is at the top.
  const keys = state.keys.slice().reverse();
  for (const k of keys) {
    const isNew = state.newKey && state.newKey.key === k.key;
    const name = appLabel(k.app);
    const appCell = node('th', { className: 'app', attrs: { scope: 'row', role: 'rowheader' } }, [
      node('span', { className: 'app-name', text: name }),
    ]);
    if (isNew) appCell.append(' ', node('span', { className: 'badge', text: 'New' }));

    const code = node('code', { className: 'key', text: k.key });
    const copyBtn = node('button', {
      className: 'btn btn-small btn-copy',
      text: 'Copy',
      attrs: { type: 'button', 'aria-label': `Copy the key of ${name}` },
    });
    copyBtn.addEventListener('click', () => copyKey(k, code, copyBtn));

    const revokeBtn = node('button', {
      className: 'btn btn-small btn-danger-quiet',
      text: 'Revoke',
      attrs: { type: 'button', 'aria-label': `Revoke the key of ${name}`, 'aria-haspopup': 'dialog' },
    });
    revokeBtn.addEventListener('click', () => askRevoke(k, revokeBtn));

    const row = node('tr', { className: isNew ? 'is-new' : '', attrs: { role: 'row', 'data-key': k.key } }, [
      appCell,
      node('td', { attrs: { role: 'cell', 'data-label': 'API key' } }, [node('div', { className: 'keycell' }, [code, copyBtn])]),
      node('td', { className: 'date', attrs: { role: 'cell', 'data-label': 'Created' } }, [dateNode(k.created)]),
      node('td', { className: 'date', attrs: { role: 'cell', 'data-label': 'Last activity' } }, [dateNode(k.lastActivity)]),
      node('td', { className: 'actions', attrs: { role: 'cell' } }, [revokeBtn]),
    ]);
    rows.push(row);
  }
  el.body.replaceChildren(...rows);
  el.table.hidden = keys.length === 0;
  el.empty.hidden = keys.length !== 0;
  el.count.textContent = keys.length === 1 ? '1 key' : `${keys.length} keys`;

  const nk = state.newKey && state.keys.find((k) => k.key === state.newKey.key);
  el.newKey.hidden = !nk;
  if (nk) {
    el.newKeyTitle.textContent = `New key for ${appLabel(nk.app)}`;
    el.newKeyValue.textContent = nk.key;
    el.newKeyCopy.setAttribute('aria-label', `Copy the new key of ${appLabel(nk.app)}`);
  } else {
    el.newKeyTitle.textContent = '';
    el.newKeyValue.textContent = '';
  }
}

async function loadKeys({ focus } = {}) {
  el.table.setAttribute('aria-busy', 'true');
  try {
    state.keys = await api.listKeys(state.session.token);
  } catch (e) {
    el.table.setAttribute('aria-busy', 'false');
    if (!handleCommon(e)) {
      // Keep what the page shows (if anything) and say why it is not fresh.
      if (el.keys.hidden) showLogin({ focus: false });
      fail(words(e));
    }
    return false;
  }
  el.table.setAttribute('aria-busy', 'false');
  show(el.keys);
  render();
  if (focus) focus.focus();
  return true;
}

// ------------------------------------------------------------------- copy --

async function copyKey(k, codeEl, button) {
  const name = appLabel(k.app);
  let copied = false;
  try {
    await navigator.clipboard.writeText(k.key);
    copied = true;
  } catch {
    // No clipboard API (plain HTTP to another host): select the text and
    // let the browser copy it.
    const range = document.createRange();
    range.selectNodeContents(codeEl);
    const sel = getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    try {
      copied = document.execCommand('copy');
    } catch {
      copied = false;
    }
  }
  if (copied) {
    say(`The key of ${name} is copied to the clipboard.`);
    button.textContent = 'Copied';
    button.classList.add('is-done');
    setTimeout(() => {
      button.textContent = 'Copy';
      button.classList.remove('is-done');
    }, 2500);
  } else {
    fail(`Could not copy the key of ${name}: it is selected, press Ctrl+C (⌘C on a Mac) to copy it.`);
  }
}

// ---------------------------------------------------------------- dialogs --

// Native modal dialogs: the rest of the page is inert while one is open
// (the focus cannot leave it), Escape closes it. Focus goes back to the
// button that opened it, unless the action moved it somewhere better.
function openDialog(dialog, opener, first) {
  dialog.returnFocus = opener;
  dialog.showModal();
  first.focus();
}

function closeDialog(dialog, focusTo) {
  if (focusTo !== undefined) dialog.returnFocus = focusTo;
  if (dialog.open) dialog.close();
}

function closeDialogs() {
  for (const d of [el.createDialog, el.revokeDialog]) {
    d.returnFocus = null;
    if (d.open) d.close();
  }
}

const FOCUSABLE = 'button:not([disabled]), input:not([disabled]), [href], [tabindex]:not([tabindex="-1"])';

for (const d of [el.createDialog, el.revokeDialog]) {
  // Tab and Shift+Tab cycle inside the dialog instead of leaving the page.
  d.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Tab') return;
    const items = Array.from(d.querySelectorAll(FOCUSABLE)).filter((n) => n.offsetParent !== null);
    if (items.length === 0) return;
    const first = items[0];
    const last = items[items.length - 1];
    if (ev.shiftKey && document.activeElement === first) {
      ev.preventDefault();
      last.focus();
    } else if (!ev.shiftKey && document.activeElement === last) {
      ev.preventDefault();
      first.focus();
    }
  });
  d.addEventListener('close', () => {
    const target = d.returnFocus;
    d.returnFocus = null;
    if (target && target.isConnected && !target.closest('[hidden]')) target.focus();
  });
}

// ----------------------------------------------------------------- create --

el.addKey.addEventListener('click', () => {
  el.appName.value = '';
  el.appName.removeAttribute('aria-invalid');
  el.createError.textContent = '';
  setBusy(el.createSubmit, false);
  openDialog(el.createDialog, el.addKey, el.appName);
});

el.createCancel.addEventListener('click', () => closeDialog(el.createDialog));

el.appName.addEventListener('input', () => {
  if (el.appName.getAttribute('aria-invalid') === 'true' && el.appName.value.trim() !== '') {
    el.appName.removeAttribute('aria-invalid');
    el.createError.textContent = '';
  }
});

el.createForm.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const app = el.appName.value.trim();
  if (app === '') {
    el.createError.textContent = 'Enter the name of the application that will use the key.';
    el.appName.setAttribute('aria-invalid', 'true');
    el.appName.focus();
    return;
  }
  el.appName.removeAttribute('aria-invalid');
  el.createError.textContent = '';
  setBusy(el.createSubmit, true);
  let result;
  try {
    result = await api.createKey(state.session.token, app);
  } catch (e) {
    setBusy(el.createSubmit, false);
    if (!handleCommon(e)) el.createError.textContent = words(e);
    return;
  }
  setBusy(el.createSubmit, false);
  state.keys = result.keys;
  state.newKey = { key: result.created.key, app: result.created.app };
  render();
  closeDialog(el.createDialog, el.newKeyCopy);
  say(`Key for ${appLabel(app)} created. Copy it now.`);
});

el.newKeyCopy.addEventListener('click', () => {
  const nk = state.newKey;
  if (nk) copyKey(nk, el.newKeyValue, el.newKeyCopy);
});

el.newKeyDismiss.addEventListener('click', () => {
  state.newKey = null;
  render();
  el.addKey.focus();
});

// ----------------------------------------------------------------- revoke --

function askRevoke(k, opener) {
  state.revoking = k;
  el.revokeText.textContent = `The key of ${appLabel(k.app)} (ending in …${k.key.slice(-6)}) stops working at once: ` +
    'every application that uses it is refused from then on. This cannot be undone.';
  el.revokeError.textContent = '';
  setBusy(el.revokeConfirm, false);
  // The safe choice has the focus.
  openDialog(el.revokeDialog, opener, el.revokeCancel);
}

el.revokeCancel.addEventListener('click', () => closeDialog(el.revokeDialog));

el.revokeConfirm.addEventListener('click', async () => {
  const k = state.revoking;
  if (!k) return;
  // Where the focus goes afterwards: the revoke button of the row below,
  // else of the row above, else the New key button.
  const rows = Array.from(el.body.rows);
  const i = rows.findIndex((r) => r.dataset.key === k.key);
  const neighbour = rows[i + 1] || rows[i - 1];
  setBusy(el.revokeConfirm, true);
  try {
    await api.revokeKey(state.session.token, k.key);
  } catch (e) {
    setBusy(el.revokeConfirm, false);
    if (!handleCommon(e)) el.revokeError.textContent = words(e);
    return;
  }
  setBusy(el.revokeConfirm, false);
  state.revoking = null;
  if (state.newKey && state.newKey.key === k.key) state.newKey = null;
  closeDialog(el.revokeDialog, null);
  const ok = await loadKeys();
  if (!ok) return;
  const again = neighbour && Array.from(el.body.rows).find((r) => r.dataset.key === neighbour.dataset.key);
  (again ? again.querySelector('.btn-danger-quiet') : el.addKey).focus();
  say(`The key of ${appLabel(k.app)} is revoked.`);
});

// ---------------------------------------------------------- sign in / out --

el.loginForm.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const username = el.username.value.trim();
  const password = el.password.value;
  if (username === '') {
    fail('Enter your user name.');
    el.username.focus();
    return;
  }
  quiet();
  setBusy(el.signIn, true);
  let r;
  try {
    r = await api.signIn(username, password);
  } catch (e) {
    setBusy(el.signIn, false);
    if (e.kind === 'unauthorized') {
      fail('Wrong user name or password.');
      el.password.select();
      el.password.focus();
    } else {
      fail(words(e));
    }
    return;
  }
  el.password.value = '';
  saveSession({ token: r.token, name: r.user.name || username });
  const ok = await loadKeys({ focus: el.keysTitle });
  setBusy(el.signIn, false);
  if (ok) say(`Signed in as ${state.session.name}.`);
});

async function signOut() {
  const s = state.session;
  setBusy(el.signOut, true);
  if (s) {
    try {
      await api.signOut(s.token);
    } catch {
      // Signed out here in any case; the server ends idle sessions itself.
    }
  }
  setBusy(el.signOut, false);
  saveSession(null);
  el.username.value = '';
  showLogin();
  say('Signed out.');
}

el.signOut.addEventListener('click', signOut);
el.switchUser.addEventListener('click', signOut);

// ------------------------------------------------------------------- boot --

// On a phone the table is shown as cards (CSS display: block), which drops
// its table semantics in browsers: explicit roles keep them.
el.table.setAttribute('role', 'table');
for (const part of el.table.querySelectorAll('thead, tbody')) part.setAttribute('role', 'rowgroup');
for (const tr of el.table.querySelectorAll('thead tr')) tr.setAttribute('role', 'row');
for (const th of el.table.querySelectorAll('thead th')) th.setAttribute('role', 'columnheader');

async function boot() {
  const host = location.hostname;
  el.insecure.hidden = location.protocol !== 'http:' ||
    host === 'localhost' || host === '127.0.0.1' || host === '[::1]' || host.endsWith('.localhost');

  const s = loadSession();
  if (!s) {
    showLogin();
    return;
  }
  state.session = s;
  try {
    const user = await api.me(s.token);
    saveSession({ token: s.token, name: user.name || s.name });
  } catch (e) {
    if (e.kind === 'unauthorized') {
      sessionEnded();
    } else {
      showLogin({ focus: false });
      fail(words(e));
    }
    return;
  }
  await loadKeys({ focus: el.keysTitle });
}

boot();
