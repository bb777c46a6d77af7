// Users: list, create, make or unmake administrator, disable or enable,
// unlock after failed sign-ins, set a password, delete. The server keeps
// an enabled administrator whatever happens (sql/0008_last_admin.sql) and
// says why it refuses; the page shows that and what to do instead.

import * as api from './api.js';
import {
  $, node, button, row, cell, headerCell, keepTableRoles, dateNode,
  say, fail, words, setBusy, openDialog, closeDialog, confirm,
} from './ui.js';

let ctx;
const state = { users: [], editing: null };   // editing: a user (password) or null (new)

const ANOTHER_ADMIN = 'Make another user an administrator first.';

// The server's refusal, and what to do about it.
function refusal(e, advice) {
  return e.kind === 'refused' ? `${words(e)} ${advice}` : words(e);
}

function stateWords(u) {
  if (u.isDisabled) return 'Disabled';
  if (u.lockoutAfter > 0 && u.failedLogins >= u.lockoutAfter) return `Locked after ${u.failedLogins} failed sign-ins`;
  if (u.failedLogins > 0) return `Active, ${u.failedLogins} failed sign-in${u.failedLogins === 1 ? '' : 's'}`;
  return 'Active';
}

async function act(u, b, what, run, done, advice) {
  setBusy(b, true);
  try {
    await run();
  } catch (e) {
    setBusy(b, false);
    if (!ctx.handled(e)) fail(advice ? refusal(e, advice) : words(e));
    if (e.kind === 'not-found') await load();
    return;
  }
  await load();
  say(done);
  const again = $('users-body').querySelector(`tr[data-id="${u.id}"] [data-action="${what}"]`);
  (again || $('users-title')).focus();
}

function render() {
  const me = ctx.me();
  const rows = state.users.map((u) => {
    const name = u.name;
    const you = u.id === me.id;
    const actions = [
      button(u.isAdmin ? 'Remove administrator' : 'Make administrator', {
        label: `${u.isAdmin ? 'Remove administrator from' : 'Make administrator:'} ${name}`,
        attrs: { 'data-action': 'admin' },
        onClick: (b) => act(u, b, 'admin', () => api.setPolicy(ctx.token(), u, { IsAdministrator: !u.isAdmin }),
          u.isAdmin ? `${name} is no longer an administrator.` : `${name} is an administrator now.`, ANOTHER_ADMIN),
      }),
      button(u.isDisabled ? 'Enable' : 'Disable', {
        label: `${u.isDisabled ? 'Enable' : 'Disable'} ${name}`,
        attrs: { 'data-action': 'disable' },
        onClick: (b) => act(u, b, 'disable', () => api.setPolicy(ctx.token(), u, { IsDisabled: !u.isDisabled }),
          u.isDisabled ? `${name} is enabled.` : `${name} is disabled and signed out everywhere.`,
          u.isAdmin ? 'Remove administrator first.' : ''),
      }),
    ];
    if (u.failedLogins > 0) {
      actions.push(button('Unlock', {
        label: `Unlock ${name}`, attrs: { 'data-action': 'unlock' },
        onClick: (b) => act(u, b, 'unlock', () => api.setPolicy(ctx.token(), u, {}), `${name} can sign in again.`),
      }));
    }
    actions.push(
      button('Set password', {
        label: `Set password of ${name}`, attrs: { 'data-action': 'password', 'aria-haspopup': 'dialog' },
        onClick: (b) => openUserDialog(u, b),
      }),
      button('Delete', {
        className: 'btn btn-small btn-danger-quiet', label: `Delete ${name}`,
        attrs: { 'data-action': 'delete', 'aria-haspopup': 'dialog' },
        onClick: (b) => askDelete(u, b),
      }),
    );
    return row([
      headerCell([node('span', { className: 'user-name', text: name }), you ? node('span', { className: 'muted', text: ' (you)' }) : null]),
      cell('Role', [u.isAdmin ? node('span', { className: 'badge badge-admin', text: 'Administrator' }) : 'User']),
      cell('State', [node('span', { className: u.isDisabled ? 'badge badge-bad' : '', text: stateWords(u) })]),
      cell('Last sign-in', [dateNode(u.lastLogin)], 'date'),
      cell(null, [node('div', { className: 'row-actions' }, actions)], 'actions'),
    ], { 'data-id': u.id });
  });
  $('users-body').replaceChildren(...rows);
}

async function load() {
  try {
    state.users = await api.listUsers(ctx.token());
  } catch (e) {
    if (!ctx.handled(e)) fail(words(e));
    return false;
  }
  render();
  return true;
}

export async function show() {
  if (!(await load())) return;
  ctx.show($('view-users'), 'Users');
  $('users-title').focus();
}

function askDelete(u, opener) {
  confirm({
    title: `Delete ${u.name}?`,
    text: `${u.name} is removed with their sessions: every device they signed in on is refused from then on. This cannot be undone.`,
    ok: 'Delete',
    opener,
    action: async () => {
      await api.deleteUser(ctx.token(), u);
      closeDialog($('confirm-dialog'), $('add-user'));
      await load();
      say(`${u.name} is deleted.`);
    },
    onError: (e) => {
      if (ctx.handled(e)) return true;
      $('confirm-error').textContent = refusal(e, ANOTHER_ADMIN);
      return true;
    },
  });
}

// ------------------------------------------------- new user, or password --

function openUserDialog(user, opener) {
  state.editing = user;
  $('user-form').reset();
  $('user-error').textContent = '';
  $('user-name-field').hidden = !!user;
  $('user-admin-field').hidden = !!user;
  $('user-dialog-title').textContent = user ? `Set the password of ${user.name}` : 'New user';
  $('user-submit').textContent = user ? 'Set password' : 'Create';
  setBusy($('user-submit'), false);
  openDialog($('user-dialog'), opener, user ? $('user-password') : $('user-name'));
}

$('add-user').addEventListener('click', () => openUserDialog(null, $('add-user')));
$('user-cancel').addEventListener('click', () => closeDialog($('user-dialog')));

function userInvalid(field, text) {
  $('user-error').textContent = text;
  field.setAttribute('aria-invalid', 'true');
  field.focus();
}

$('user-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const editing = state.editing;
  const name = $('user-name').value.trim();
  const password = $('user-password').value;
  const admin = $('user-admin').checked;
  for (const n of $('user-form').querySelectorAll('[aria-invalid]')) n.removeAttribute('aria-invalid');
  if (!editing && name === '') return userInvalid($('user-name'), 'Enter a user name.');
  if ((admin || (editing && editing.isAdmin)) && password === '') {
    return userInvalid($('user-password'), 'An administrator must have a password.');
  }
  if (new TextEncoder().encode(password).length > 1024) return userInvalid($('user-password'), 'The password is longer than 1024 bytes.');
  setBusy($('user-submit'), true);
  let done;
  try {
    if (editing) {
      await api.setPassword(ctx.token(), editing, password);
      done = `The password of ${editing.name} is set; their other sessions are signed out.`;
    } else {
      const made = await api.createUser(ctx.token(), name, password);
      if (admin) await api.setPolicy(ctx.token(), made, { IsAdministrator: true });
      done = `${made.name} is created${admin ? ' as an administrator' : ''}.`;
    }
  } catch (e) {
    setBusy($('user-submit'), false);
    if (!ctx.handled(e)) $('user-error').textContent = words(e);
    return;
  }
  setBusy($('user-submit'), false);
  closeDialog($('user-dialog'));
  await load();
  say(done);
});

export function init(context) {
  ctx = context;
  keepTableRoles($('users-table'));
}
