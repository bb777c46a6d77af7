// Sessions: the devices signed in, per user (GET /keyfin/v1/sessions); an
// administrator signs one out (DELETE /keyfin/v1/sessions/{id}).

import * as api from './api.js';
import {
  $, node, button, row, cell, headerCell, keepTableRoles, dateNode,
  say, fail, words, confirm, closeDialog,
} from './ui.js';

let ctx;

function deviceTable(user, sessions) {
  const caption = node('caption', { className: 'sr-only', text: `Devices of ${user}` });
  const head = node('thead', {}, [node('tr', {}, ['Device', 'App', 'Signed in', 'Last active', ''].map((h) => node('th', {
    attrs: { scope: 'col' },
  }, [h ? h : node('span', { className: 'sr-only', text: 'Actions' })])))]);
  const body = node('tbody', {}, sessions.map((s) => {
    const device = s.device_name || '(unnamed device)';
    const action = s.current
      ? node('span', { className: 'muted', text: 'This browser' })
      : button('Sign out', {
        className: 'btn btn-small btn-danger-quiet', label: `Sign out ${device} of ${user}`,
        attrs: { 'aria-haspopup': 'dialog' }, onClick: (b) => askEnd(s, user, device, b),
      });
    return row([
      headerCell([node('span', { className: 'device', text: device })]),
      cell('App', [`${s.client}${s.app_version ? ` ${s.app_version}` : ''}`]),
      cell('Signed in', [dateNode(s.created_at)], 'date'),
      cell('Last active', [dateNode(s.last_activity_at)], 'date'),
      cell(null, [action], 'actions'),
    ], { 'data-id': String(s.id) });
  }));
  const table = node('table', { className: 'list sessions' }, [caption, head, body]);
  keepTableRoles(table);
  return table;
}

function render(list) {
  const groups = new Map();
  for (const s of list) {
    const user = s.user_name || '(deleted user)';
    if (!groups.has(user)) groups.set(user, []);
    groups.get(user).push(s);
  }
  const sections = Array.from(groups, ([user, sessions], i) => {
    const id = `sessions-user-${i}`;
    return node('section', { className: 'card card-flush group', attrs: { 'aria-labelledby': id } }, [
      node('h2', { className: 'group-title', text: `${user} · ${sessions.length} device${sessions.length === 1 ? '' : 's'}`, attrs: { id } }),
      node('div', { className: 'table-wrap' }, [deviceTable(user, sessions)]),
    ]);
  });
  $('sessions-groups').replaceChildren(...sections);
  $('sessions-empty').hidden = list.length !== 0;
}

async function load() {
  try {
    render(await api.listSessions(ctx.token()));
  } catch (e) {
    if (!ctx.handled(e)) fail(words(e));
    return false;
  }
  return true;
}

export async function show() {
  if (!(await load())) return;
  ctx.show($('view-sessions'), 'Sessions');
  $('sessions-title').focus();
}

function askEnd(s, user, device, opener) {
  confirm({
    title: 'Sign this device out?',
    text: `${user} on ${device} (${s.client}) is signed out at once and has to sign in again there.`,
    ok: 'Sign out',
    opener,
    action: async () => {
      await api.endSession(ctx.token(), s.id);
      closeDialog($('confirm-dialog'), $('sessions-title'));
      await load();
      say(`${user} is signed out on ${device}.`);
    },
    onError: (e) => ctx.handled(e),
  });
}

export function init(context) {
  ctx = context;
}
