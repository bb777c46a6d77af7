// Activity: the audit trail (GET /System/ActivityLog/Entries), newest
// first, a page at a time, filtered by kind of event (keyfin's `type`) and
// by dates (minDate, and keyfin's maxDate).

import * as api from './api.js';
import {
  $, node, row, cell, keepTableRoles, dateNode, fail, words, setBusy, DAY_MS,
} from './ui.js';

export const PAGE = 20;

let ctx;
const state = { start: 0, total: 0, filter: {} };

function severityNode(s) {
  const bad = s === 'Warning' || s === 'Error' || s === 'Critical';
  return node('span', { className: bad ? 'badge badge-warn' : 'level', text: s || 'Information' });
}

function render(items) {
  const rows = items.map((e) => row([
    cell('When', [dateNode(e.Date)], 'date'),
    cell('What', [node('span', { className: 'what', text: e.Name || e.Type })]),
    cell('From', [node('span', { className: 'from', text: e.Overview || '' })]),
    cell('Level', [severityNode(e.Severity)]),
  ], { 'data-type': String(e.Type || '') }));
  $('activity-body').replaceChildren(...rows);
  $('activity-table').hidden = rows.length === 0;
  $('activity-empty').hidden = rows.length !== 0;
  const first = state.total === 0 ? 0 : state.start + 1;
  $('activity-count').textContent = `${first}–${state.start + items.length} of ${state.total}`;
  $('activity-newer').disabled = state.start === 0;
  $('activity-older').disabled = state.start + PAGE >= state.total;
}

// A date input's day (local) as the start of that day, or of the next.
function dayStart(value, next = false) {
  if (!value) return undefined;
  const d = new Date(`${value}T00:00:00`);
  return new Date(d.getTime() + (next ? DAY_MS : 0)).toISOString();
}

async function load(focus) {
  let page;
  try {
    page = await api.activity(ctx.token(), { start: state.start, limit: PAGE, ...state.filter });
  } catch (e) {
    if (!ctx.handled(e)) fail(words(e));
    return false;
  }
  state.total = page.total;
  render(page.items);
  ctx.show($('view-activity'), 'Activity');
  if (focus) focus.focus();
  return true;
}

export function show() {
  state.start = 0;
  return load($('activity-title'));
}

$('activity-filters').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const from = $('activity-from').value;
  const to = $('activity-to').value;
  if (from && to && from > to) {
    $('activity-to').setAttribute('aria-invalid', 'true');
    fail('The “To” day is before the “From” day.');
    $('activity-to').focus();
    return;
  }
  $('activity-to').removeAttribute('aria-invalid');
  state.filter = { type: $('activity-kind').value, minDate: dayStart(from), maxDate: dayStart(to, true) };
  state.start = 0;
  setBusy($('activity-apply'), true);
  await load();
  setBusy($('activity-apply'), false);
});

for (const [id, step] of [['activity-newer', -PAGE], ['activity-older', PAGE]]) {
  $(id).addEventListener('click', async () => {
    state.start = Math.max(0, state.start + step);
    await load();
    // the button pressed may now be disabled: keep the focus in the pager
    const b = $(id);
    (b.disabled ? $(id === 'activity-newer' ? 'activity-older' : 'activity-newer') : b).focus();
  });
}

export function init(context) {
  ctx = context;
  keepTableRoles($('activity-table'));
}
