// What every view of the console shares: building nodes, dates, the two
// message regions, busy buttons, modal dialogs and the confirmation dialog.
//
// Text from the server only ever goes through textContent or setAttribute,
// never through HTML (the CSP's Trusted Types allow no HTML sink at all).

export const $ = (id) => document.getElementById(id);

export function node(tag, { className, text, attrs } = {}, children = []) {
  const n = document.createElement(tag);
  if (className) n.className = className;
  if (text !== undefined) n.textContent = text;
  if (attrs) for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined) n.append(c);
  return n;
}

export function button(text, { className = 'btn btn-small', label, onClick, attrs = {} } = {}) {
  const b = node('button', { className, text, attrs: { type: 'button', ...attrs } });
  if (label) b.setAttribute('aria-label', label);
  if (onClick) b.addEventListener('click', () => onClick(b));
  return b;
}

// A <table> shown as cards on a phone (CSS display: block) loses its table
// semantics in browsers: explicit roles keep them.
export function keepTableRoles(table) {
  table.setAttribute('role', 'table');
  for (const part of table.querySelectorAll('thead, tbody')) part.setAttribute('role', 'rowgroup');
  for (const tr of table.querySelectorAll('thead tr')) tr.setAttribute('role', 'row');
  for (const th of table.querySelectorAll('thead th')) th.setAttribute('role', 'columnheader');
}

export function row(cells, attrs = {}) {
  return node('tr', { attrs: { role: 'row', ...attrs } }, cells);
}

// A cell with its column's name for the phone layout (CSS ::before).
export function cell(label, children, className) {
  const c = node('td', { className, attrs: { role: 'cell' } }, children);
  if (label) c.dataset.label = label;
  return c;
}

export function headerCell(children, className) {
  return node('th', { className, attrs: { scope: 'row', role: 'rowheader' } }, children);
}

// ------------------------------------------------------------------ dates --

const NEVER_YEAR = '0001';
export const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
export const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short' });

// Jellyfin's dates have up to 7 fractional digits; Date wants at most 3.
export function parseDate(s) {
  if (!s || s.startsWith(NEVER_YEAR)) return null;
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?$/.exec(s);
  if (!m) return null;
  const d = new Date(`${m[1]}.${(m[2] || '0').slice(0, 3).padEnd(3, '0')}${m[3] || 'Z'}`);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function timeNode(d) {
  const t = document.createElement('time');
  t.dateTime = d.toISOString();
  t.title = d.toISOString();
  t.textContent = dateFormat.format(d);
  return t;
}

// A date, or `never` in words (not only a style).
export function dateNode(s, never = 'never') {
  const d = s instanceof Date ? s : parseDate(s);
  return d ? timeNode(d) : node('span', { className: 'never', text: never });
}

export const DAY_MS = 86_400_000;

// ------------------------------------------------------------- messages --

export function say(text) {
  $('alert').textContent = '';
  $('status').textContent = text;
}

export function fail(text) {
  $('status').textContent = '';
  $('alert').textContent = text;
}

export function quiet() {
  $('status').textContent = '';
  $('alert').textContent = '';
}

// Every error of the server in words.
export function words(e) {
  switch (e && e.kind) {
    case 'unreachable':
      return 'Cannot reach the keyfin server. Check your network connection and that the server is running, then try again.';
    case 'unavailable':
      return `The keyfin server is unavailable at the moment (HTTP ${e.status}). Try again in a minute.`;
    case 'unauthorized':
      return 'Your session has ended. Sign in again.';
    case 'forbidden':
      return 'You are not an administrator: only an administrator can do this.';
    case 'not-found':
      return 'It is not there any more: someone may have removed it meanwhile. The list is shown again as it is now.';
    case 'refused':
      return e.reason
        ? `The server refused (HTTP ${e.status}): ${e.reason}`
        : `The server refused the request (HTTP ${e.status}).`;
    default:
      return `Something went wrong on the server${e && e.status ? ` (HTTP ${e.status})` : ''}. Try again.`;
  }
}

export function setBusy(b, busy) {
  b.disabled = busy;
  b.setAttribute('aria-busy', busy ? 'true' : 'false');
}

// ---------------------------------------------------------------- dialogs --

// Native modal dialogs: the rest of the page is inert while one is open,
// Escape closes it. Focus goes back to the button that opened it, unless
// the action moved it somewhere better.
export function openDialog(dialog, opener, first) {
  dialog.returnFocus = opener;
  dialog.showModal();
  first.focus();
}

export function closeDialog(dialog, focusTo) {
  if (focusTo !== undefined) dialog.returnFocus = focusTo;
  if (dialog.open) dialog.close();
}

export function closeDialogs() {
  for (const d of document.querySelectorAll('dialog')) {
    d.returnFocus = null;
    if (d.open) d.close();
  }
}

const FOCUSABLE = 'button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [href], [tabindex]:not([tabindex="-1"])';

for (const d of document.querySelectorAll('dialog')) {
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

// The confirmation of something that cannot be undone. `action` runs on
// OK; what it throws is shown in the dialog (handled errors: return false
// from `onError` to keep the dialog open). Cancel has the focus first.
const confirmDialog = $('confirm-dialog');
let confirming = null;

export function confirm({ title, text, ok, opener, action, onError }) {
  confirming = { action, onError };
  $('confirm-title').textContent = title;
  $('confirm-text').textContent = text;
  $('confirm-ok').textContent = ok;
  $('confirm-error').textContent = '';
  setBusy($('confirm-ok'), false);
  openDialog(confirmDialog, opener, $('confirm-cancel'));
}

$('confirm-cancel').addEventListener('click', () => closeDialog(confirmDialog));
$('confirm-ok').addEventListener('click', async () => {
  const c = confirming;
  if (!c) return;
  setBusy($('confirm-ok'), true);
  try {
    await c.action();
  } catch (e) {
    setBusy($('confirm-ok'), false);
    if (c.onError && c.onError(e)) return;
    $('confirm-error').textContent = words(e);
    return;
  }
  setBusy($('confirm-ok'), false);
  confirming = null;
});

// --------------------------------------------------------------- copying --

export async function copyText(text, selectNode) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // No clipboard API (plain HTTP to another host): select the text and
    // let the browser copy it.
    const range = document.createRange();
    range.selectNodeContents(selectNode);
    const sel = getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    try {
      return document.execCommand('copy');
    } catch {
      return false;
    }
  }
}
