// API Keys: the list (access, expiry, last use and from where, a week of
// requests), a key's details with its hourly chart, and making (with
// options and presets), rolling (with a grace period) and revoking keys.
// A key itself is shown once, when it is made or rolled.

import * as api from './api.js';
import {
  $, node, button, row, cell, headerCell, keepTableRoles, dateNode, parseDate, timeNode, DAY_MS, dayFormat,
  say, fail, words, setBusy, openDialog, closeDialog, confirm, copyText,
} from './ui.js';
import { sparkline, hourChart, days, total } from './chart.js';
import { PRESETS, addressProblem, pathProblem, lines } from './presets.js';

const UNUSED_DAYS = 90;

let ctx;                        // {token(), handled(e), go(hash)} from app.js
const state = {
  keys: [],                     // details, newest first
  usage: new Map(),             // id -> requests[168]
  fresh: null,                  // {id, key, title, text}: shown once
  current: null,                // the key of the details view
};

export const appLabel = (app) => (String(app).trim() === '' ? '(no name)' : app);

function accessWords(scopes) {
  if (scopes.includes('admin')) return 'Everything (administrator)';
  const parts = scopes.map((s) => (s === 'read' ? 'Read only' : s));
  return parts.join(', ');
}

function expiryNode(k, now) {
  const d = parseDate(k.expires_at);
  if (!d) return node('span', { className: 'never', text: 'never' });
  if (d.getTime() <= now) {
    return node('span', { className: 'expired' }, [
      node('span', { className: 'badge badge-bad', text: 'Expired' }), ' on ', timeNode(d)]);
  }
  const left = Math.ceil((d.getTime() - now) / DAY_MS);
  return node('span', {}, [timeNode(d), node('span', { className: 'soon', text: ` (in ${left} day${left === 1 ? '' : 's'})` })]);
}

// Not used for UNUSED_DAYS days (or never, and made that long ago).
function isUnused(k, now) {
  const last = parseDate(k.last_used_at) || parseDate(k.created_at);
  return !!last && now - last.getTime() >= UNUSED_DAYS * DAY_MS;
}

function lastUsedNode(k, now) {
  const out = node('span', {}, [dateNode(k.last_used_at)]);
  if (k.last_address) out.append(node('span', { className: 'from', text: ` from ${k.last_address}` }));
  if (isUnused(k, now)) out.append(' ', node('span', { className: 'badge badge-warn', text: `Unused for ${UNUSED_DAYS}+ days` }));
  return out;
}

function usageNode(k) {
  const requests = state.usage.get(k.id) || new Array(168).fill(0);
  const n = total(requests);
  const label = `${n} request${n === 1 ? '' : 's'} in the last 7 days`;
  return node('span', { className: 'usage' }, [sparkline(requests, label), node('span', { className: 'usage-total', text: String(n), attrs: { 'aria-hidden': 'true' } })]);
}

// ------------------------------------------------------------------ list --

function render() {
  const now = Date.now();
  const rows = state.keys.map((k) => {
    const name = appLabel(k.app);
    const isNew = state.fresh && state.fresh.id === k.id;
    const link = node('a', { className: 'app-name', text: name, attrs: { href: `#keys/${k.id}` } });
    const app = headerCell([link]);
    if (isNew) app.append(' ', node('span', { className: 'badge', text: 'New' }));
    if (k.note) app.append(node('span', { className: 'note', text: k.note }));
    const revoke = button('Revoke', {
      className: 'btn btn-small btn-danger-quiet', label: `Revoke the key of ${name}`, attrs: { 'aria-haspopup': 'dialog' },
      onClick: (b) => askRevoke(k, b),
    });
    return row([
      app,
      cell('Key', [node('code', { className: 'key', text: `${k.prefix}…`, attrs: { 'aria-label': `starts with ${k.prefix.split('').join(' ')}` } })]),
      cell('Access', [node('span', { className: 'scopes', text: accessWords(k.scopes) })]),
      cell('Expires', [expiryNode(k, now)], 'date'),
      cell('Last used', [lastUsedNode(k, now)], 'date'),
      cell('Requests, 7 days', [usageNode(k)]),
      cell(null, [revoke], 'actions'),
    ], { 'data-id': String(k.id), class: isNew ? 'is-new' : '' });
  });
  $('keys-body').replaceChildren(...rows);
  $('keys-table').hidden = rows.length === 0;
  $('keys-empty').hidden = rows.length !== 0;
  const unused = state.keys.filter((k) => isUnused(k, now)).length;
  $('keys-count').textContent = `${rows.length === 1 ? '1 key' : `${rows.length} keys`}` +
    (unused ? `, ${unused} unused for ${UNUSED_DAYS} days or more: revoke them if nothing needs them.` : '');
  const f = state.fresh;
  $('new-key').hidden = !f;
  if (f) {
    $('new-key-title').textContent = f.title;
    $('new-key-text').textContent = f.text;
    $('new-key-value').textContent = f.key;
  }
}

async function load() {
  const token = ctx.token();
  const [keys, usage] = await Promise.all([api.listKeys(token), api.allUsage(token)]);
  state.keys = keys;
  state.usage = new Map(usage.keys.map((u) => [u.id, u.requests]));
  if (state.fresh && !keys.some((k) => k.id === state.fresh.id)) state.fresh = null;
}

// Shows the list; false when an error was handled.
export async function showList(focus) {
  try {
    await load();
  } catch (e) {
    if (!ctx.handled(e)) fail(words(e));
    return false;
  }
  render();
  ctx.show($('view-keys'), 'API Keys');
  if (focus) focus.focus();
  return true;
}

$('new-key-copy').addEventListener('click', async () => {
  const f = state.fresh;
  if (!f) return;
  if (await copyText(f.key, $('new-key-value'))) say('The new key is copied to the clipboard.');
  else fail('Could not copy the key: it is selected, press Ctrl+C (⌘C on a Mac) to copy it.');
});

$('new-key-dismiss').addEventListener('click', () => {
  state.fresh = null;
  render();
  $('add-key').focus();
});

// ---------------------------------------------------------------- create --

const presetSelect = $('preset');
for (const p of PRESETS) presetSelect.append(node('option', { text: p.name, attrs: { value: p.id } }));

function setAccess(scopes) {
  const kind = scopes.includes('admin') ? 'admin' : scopes.length === 1 && scopes[0] === 'read' ? 'read' : 'paths';
  $(`access-${kind}`).checked = true;
  $('paths').value = kind === 'paths' ? scopes.join('\n') : '';
}

presetSelect.addEventListener('change', () => {
  const p = PRESETS.find((x) => x.id === presetSelect.value);
  $('preset-hint').textContent = p ? p.hint : '';
  if (!p) return;
  if ($('app-name').value.trim() === '') $('app-name').value = p.name.split(' ')[0];
  setAccess(p.scopes);
});

$('paths').addEventListener('input', () => { $('access-paths').checked = true; });
$('expiry-date').addEventListener('input', () => { $('expiry-date-choice').checked = true; });

$('add-key').addEventListener('click', () => {
  $('create-form').reset();
  $('preset-hint').textContent = '';
  $('create-error').textContent = '';
  for (const n of $('create-form').querySelectorAll('[aria-invalid]')) n.removeAttribute('aria-invalid');
  setBusy($('create-submit'), false);
  openDialog($('create-dialog'), $('add-key'), $('app-name'));
});

$('create-cancel').addEventListener('click', () => closeDialog($('create-dialog')));

function invalid(field, text) {
  $('create-error').textContent = text;
  field.setAttribute('aria-invalid', 'true');
  field.focus();
  return null;
}

// The options of the form, or null (with the problem said) when the page
// can tell they are wrong.
function readOptions() {
  const form = $('create-form');
  for (const n of form.querySelectorAll('[aria-invalid]')) n.removeAttribute('aria-invalid');
  const options = { app: $('app-name').value.trim() };
  if (options.app === '') return invalid($('app-name'), 'Enter the name of the application that will use the key.');
  const access = form.elements.access.value;
  if (access === 'read') options.scopes = ['read'];
  if (access === 'paths') {
    const paths = lines($('paths').value);
    if (paths.length === 0) return invalid($('paths'), 'Enter at least one path, or choose another kind of access.');
    const bad = paths.map(pathProblem).find((p) => p);
    if (bad) return invalid($('paths'), `A path scope is a path from the server’s root: ${bad}`);
    if (paths.length > 32) return invalid($('paths'), 'At most 32 paths.');
    options.scopes = paths;
  }
  const expiry = form.elements.expiry.value;
  if (['30', '90', '365'].includes(expiry)) options.ttl = Number(expiry) * 86400;
  if (expiry === 'date') {
    const v = $('expiry-date').value;
    if (!v) return invalid($('expiry-date'), 'Choose the date the key stops working.');
    const at = new Date(`${v}T00:00:00`);
    if (at.getTime() <= Date.now()) return invalid($('expiry-date'), 'Choose a date in the future.');
    options.expires_at = at.toISOString();
  }
  const ips = lines($('allowed-ips').value);
  const badIp = ips.map(addressProblem).find((p) => p);
  if (badIp) return invalid($('allowed-ips'), badIp);
  if (ips.length > 32) return invalid($('allowed-ips'), 'At most 32 addresses or blocks.');
  if (ips.length) options.allowed_ips = ips;
  const note = $('note').value.trim();
  if (note) options.note = note;
  return options;
}

$('create-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const options = readOptions();
  if (!options) return;
  $('create-error').textContent = '';
  setBusy($('create-submit'), true);
  let made;
  try {
    made = await api.createKey(ctx.token(), options);
  } catch (e) {
    setBusy($('create-submit'), false);
    if (!ctx.handled(e)) $('create-error').textContent = words(e);
    return;
  }
  setBusy($('create-submit'), false);
  const name = appLabel(made.app);
  state.fresh = {
    id: made.id, key: made.key, title: `New key for ${name}`,
    text: 'Copy it now and paste it where the application asks for an API key (Heimdall calls it “Password (secret token)”). It is not shown again.',
  };
  closeDialog($('create-dialog'), null);
  if (location.hash !== '#keys') ctx.go('#keys');
  if (await showList($('new-key-copy'))) say(`Key for ${name} created. Copy it now.`);
});

// ---------------------------------------------------------------- revoke --

function askRevoke(k, opener) {
  const name = appLabel(k.app);
  confirm({
    title: 'Revoke this key?',
    text: `The key of ${name} (starting with ${k.prefix}…) stops working at once: every application that uses it is refused from then on. This cannot be undone.`,
    ok: 'Revoke',
    opener,
    action: async () => {
      // the focus goes to the row below, else above, else New key
      const ids = state.keys.map((x) => x.id);
      const i = ids.indexOf(k.id);
      const next = ids[i + 1] ?? ids[i - 1];
      await api.revokeKey(ctx.token(), k.id);
      closeDialog($('confirm-dialog'), null);
      if (location.hash !== '#keys') ctx.go('#keys');
      if (!(await showList())) return;
      const again = next !== undefined && $('keys-body').querySelector(`tr[data-id="${next}"] .btn-danger-quiet`);
      (again || $('add-key')).focus();
      say(`The key of ${name} is revoked.`);
    },
    onError: (e) => ctx.handled(e),
  });
}

// --------------------------------------------------------------- details --

function fact(term, ...value) {
  return [node('dt', { text: term }), node('dd', {}, value)];
}

function renderDetails(k, usage) {
  const now = Date.now();
  const name = appLabel(k.app);
  $('key-title').textContent = `Key for ${name}`;
  const facts = [
    ...fact('Key', node('code', { className: 'key', text: `${k.prefix}…` }), node('span', { className: 'muted', text: ' (only its first characters are kept to show)' })),
    ...fact('Created', dateNode(k.created_at)),
    ...fact('Expires', expiryNode(k, now)),
    ...fact('Last used', lastUsedNode(k, now)),
    ...fact('Access', accessWords(k.scopes)),
    ...fact('Allowed addresses', k.allowed_ips.length ? k.allowed_ips.join(', ') : 'anywhere'),
    ...fact('Note', k.note ? k.note : node('span', { className: 'never', text: 'none' })),
  ];
  if (k.reused_at) {
    facts.push(...fact('Used after its roll', node('span', { className: 'badge badge-bad', text: 'May have leaked' }), ' last on ',
      dateNode(k.reused_at), k.reused_from ? ` from ${k.reused_from}` : ''));
  }
  $('key-facts').replaceChildren(...facts);

  const n = usage.total;
  const perDay = days(usage.start, usage.requests);
  const busiest = perDay.reduce((a, b) => (b.requests > a.requests ? b : a), perDay[0]);
  const summary = n === 0 ? 'No requests in the last 7 days.'
    : `${n} request${n === 1 ? '' : 's'} in the last 7 days; the busiest day was ${dayFormat.format(busiest.start)} (${busiest.requests}). Counts may lag by a minute.`;
  $('usage-summary').textContent = summary;
  $('usage-chart').replaceChildren(hourChart(usage.start, usage.requests, `Requests per hour for ${name}. ${summary}`));
  $('usage-days-body').replaceChildren(...perDay.map((d) => row([
    headerCell([dayFormat.format(d.start)]), cell('Requests', [String(d.requests)]),
  ])));
}

export async function showDetails(id) {
  let k;
  let usage;
  try {
    [k, usage] = await Promise.all([api.getKey(ctx.token(), id), api.keyUsage(ctx.token(), id)]);
  } catch (e) {
    if (ctx.handled(e)) return;
    fail(words(e));
    if (e.kind === 'not-found') ctx.go('#keys');
    return;
  }
  state.current = k;
  renderDetails(k, usage);
  ctx.show($('view-key'), `Key for ${appLabel(k.app)}`);
  $('key-title').focus();
}

$('key-revoke').addEventListener('click', () => state.current && askRevoke(state.current, $('key-revoke')));

// ------------------------------------------------------------------ roll --

$('key-roll').addEventListener('click', () => {
  const k = state.current;
  if (!k) return;
  $('roll-text').textContent = `A new key replaces the key of ${appLabel(k.app)} (starting with ${k.prefix}…), with the same access, ` +
    'expiry, addresses and note. Put the new key in the application before the old one stops working.';
  $('roll-error').textContent = '';
  $('roll-grace').value = '3600';
  setBusy($('roll-confirm'), false);
  openDialog($('roll-dialog'), $('key-roll'), $('roll-grace'));
});

$('roll-cancel').addEventListener('click', () => closeDialog($('roll-dialog')));

$('roll-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const old = state.current;
  const grace = Number($('roll-grace').value);
  setBusy($('roll-confirm'), true);
  let made;
  let before;
  try {
    made = await api.rollKey(ctx.token(), old.id, grace);
    before = await api.getKey(ctx.token(), old.id);
  } catch (e) {
    setBusy($('roll-confirm'), false);
    if (!ctx.handled(e)) $('roll-error').textContent = words(e);
    return;
  }
  setBusy($('roll-confirm'), false);
  const name = appLabel(made.app);
  const end = parseDate(before.expires_at);
  state.fresh = {
    id: made.id, key: made.key, title: `New key for ${name}, replacing ${old.prefix}…`,
    text: end && end.getTime() > Date.now()
      ? `The old key (${old.prefix}…) keeps working until ${timeNode(end).textContent}. Copy the new key now and put it in the application before then. It is not shown again.`
      : `The old key (${old.prefix}…) is refused from now on. Copy the new key now and put it in the application. It is not shown again.`,
  };
  closeDialog($('roll-dialog'), null);
  ctx.go('#keys');
  if (await showList($('new-key-copy'))) say(`Key for ${name} rolled. Copy the new key now.`);
});

export function init(context) {
  ctx = context;
  keepTableRoles($('keys-table'));
  keepTableRoles($('usage-days'));
}

export function reset() {
  state.keys = [];
  state.fresh = null;
  state.current = null;
  $('keys-body').replaceChildren();
}
