// keyfin's admin console: sign in, then API Keys (list, details, create
// with options, roll, revoke), Activity, Users and Sessions, each at an
// address of its own (#keys, #keys/ID, #activity, #users, #sessions: no
// secret ever goes into one), sign out.
//
// Rules kept throughout: text from the server only ever goes through
// textContent or setAttribute, never through HTML; the session token lives
// in sessionStorage (gone when the tab closes), never in a URL or in
// localStorage; every message is in words and reaches screen readers
// through the live regions #status (polite) and #alert (assertive).

import * as api from './api.js';
import {
  $, say, fail, quiet, words, setBusy, closeDialogs,
} from './ui.js';
import * as keys from './keys.js';
import * as activity from './activity.js';
import * as users from './users.js';
import * as sessions from './sessions.js';

const SESSION_KEY = 'keyfin.session';
const VIEWS = ['view-loading', 'view-login', 'view-denied', 'view-keys', 'view-key', 'view-activity', 'view-users', 'view-sessions'];

const state = {
  session: null,                // {token, name, id}
};

// ---------------------------------------------------------------- session --

function loadSession() {
  try {
    const s = JSON.parse(sessionStorage.getItem(SESSION_KEY) || 'null');
    if (s && typeof s.token === 'string' && /^[0-9a-f]{32}$/.test(s.token)) {
      return { token: s.token, name: String(s.name || ''), id: String(s.id || '') };
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

// ------------------------------------------------------------------ views --

function show(view, title) {
  for (const id of VIEWS) $(id).hidden = $(id) !== view;
  $('main').dataset.view = view.id.replace(/^view-/, '');
  const signedIn = !['view-login', 'view-loading'].includes(view.id);
  const admin = signedIn && view.id !== 'view-denied';
  $('session').hidden = !signedIn;
  $('sections').hidden = !admin;
  $('session-name').textContent = signedIn && state.session ? state.session.name : '';
  const section = view.id === 'view-key' ? 'keys' : view.id.replace(/^view-/, '');
  for (const a of $('sections').querySelectorAll('a')) {
    if (a.dataset.section === section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `${title} – keyfin`;
}

function showLogin({ focus = true } = {}) {
  closeDialogs();
  keys.reset();
  $('password').value = '';
  setBusy($('sign-in'), false);
  show($('view-login'), 'Sign in');
  if (focus) ($('username').value ? $('password') : $('username')).focus();
}

function showDenied() {
  closeDialogs();
  $('denied-name').textContent = state.session ? state.session.name : '';
  show($('view-denied'), 'Not an administrator');
  $('denied-title').focus();
}

// The session is gone (401): back to the login form, saying so.
function sessionEnded() {
  saveSession(null);
  showLogin();
  fail('Your session has ended. Sign in again.');
}

// Errors every signed-in action shares. Returns true when handled here.
function handled(e) {
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

// A new address without the router running again for it.
function go(hash) {
  if (location.hash !== hash) history.pushState(null, '', hash);
}

const context = {
  token: () => (state.session ? state.session.token : ''),
  me: () => state.session || {},
  handled,
  show,
  go,
};
for (const m of [keys, activity, users, sessions]) m.init(context);

// The view the address names; #keys when it names none.
async function route({ focus = true } = {}) {
  if (!state.session) return false;
  const [section, arg] = location.hash.replace(/^#/, '').split('/');
  switch (section) {
    case 'activity': return activity.show();
    case 'users': return users.show();
    case 'sessions': return sessions.show();
    case 'keys':
      if (arg && /^\d+$/.test(arg)) return keys.showDetails(Number(arg));
      return keys.showList(focus ? $('keys-title') : null);
    default:
      go('#keys');
      return keys.showList(focus ? $('keys-title') : null);
  }
}

window.addEventListener('hashchange', () => {
  quiet();
  closeDialogs();
  route();
});

// ---------------------------------------------------------- sign in / out --

$('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const username = $('username').value.trim();
  const password = $('password').value;
  if (username === '') {
    fail('Enter your user name.');
    $('username').focus();
    return;
  }
  quiet();
  setBusy($('sign-in'), true);
  let r;
  try {
    r = await api.signIn(username, password);
  } catch (e) {
    setBusy($('sign-in'), false);
    if (e.kind === 'unauthorized') {
      fail('Wrong user name or password.');
      $('password').select();
      $('password').focus();
    } else {
      fail(words(e));
    }
    return;
  }
  $('password').value = '';
  saveSession({ token: r.token, name: r.user.name || username, id: r.user.id });
  const ok = await route();
  setBusy($('sign-in'), false);
  if (ok && state.session && $('view-denied').hidden) say(`Signed in as ${state.session.name}.`);
});

async function signOut() {
  const s = state.session;
  setBusy($('sign-out'), true);
  if (s) {
    try {
      await api.signOut(s.token);
    } catch {
      // Signed out here in any case; the server ends idle sessions itself.
    }
  }
  setBusy($('sign-out'), false);
  saveSession(null);
  $('username').value = '';
  showLogin();
  say('Signed out.');
}

$('sign-out').addEventListener('click', signOut);
$('switch-user').addEventListener('click', signOut);

// ------------------------------------------------------------------- boot --

async function boot() {
  const host = location.hostname;
  $('insecure').hidden = location.protocol !== 'http:' ||
    host === 'localhost' || host === '127.0.0.1' || host === '[::1]' || host.endsWith('.localhost');

  const s = loadSession();
  if (!s) {
    showLogin();
    return;
  }
  state.session = s;
  try {
    const user = await api.me(s.token);
    saveSession({ token: s.token, name: user.name || s.name, id: user.id });
  } catch (e) {
    if (e.kind === 'unauthorized') {
      sessionEnded();
    } else {
      showLogin({ focus: false });
      fail(words(e));
    }
    return;
  }
  await route();
}

boot();
