// Running Agents: statistic boxes, filters, a sortable table paged by the server (limit/offset),
// so 100,000 executions cost one page of rows in the browser; export links for every matching row.
import { getJson, url } from './api.js';
import { params as rangeParams } from './range.js';
import { el, clear, icon, option, box, statusBadge, stalledBadge, emptyState, formatCount, formatDuration, formatTime, STATUS_ORDER } from './dom.js';

const $ = (id) => document.getElementById(id);

const state = { search: '', agent: '', user: '', status: '', stalled: '', sort: '-start_time', offset: 0, limit: 50 };
let reload = () => {};

export function setup(onChange, openFiles) {
  reload = onChange;
  state.openFiles = openFiles;
  let typing;
  $('filter-search').addEventListener('input', (e) => {
    clearTimeout(typing);
    typing = setTimeout(() => update({ search: e.target.value.trim() }), 300);
  });
  $('filter-agent').addEventListener('change', (e) => update({ agent: e.target.value }));
  $('filter-user').addEventListener('change', (e) => update({ user: e.target.value }));
  $('filter-status').addEventListener('change', (e) => update({ status: e.target.value }));
  $('filter-stalled').addEventListener('change', (e) => update({ stalled: e.target.value }));
  $('page-size').addEventListener('change', (e) => update({ limit: Number(e.target.value) }));
  $('page-prev').addEventListener('click', () => update({ offset: Math.max(0, state.offset - state.limit) }, false));
  $('page-next').addEventListener('click', () => update({ offset: state.offset + state.limit }, false));
  for (const th of document.querySelectorAll('#running-table th[data-sort]')) {
    th.tabIndex = 0;
    const sort = () => {
      const column = th.dataset.sort;
      // A new column sorts descending for times, numbers and the newest-first default, ascending for text.
      const firstDescending = ['start_time', 'runtime', 'files'].includes(column);
      const next = state.sort === column ? `-${column}` : state.sort === `-${column}` ? column : (firstDescending ? `-${column}` : column);
      update({ sort: next });
    };
    th.addEventListener('click', sort);
    th.addEventListener('keydown', (e) => { if (e.key === 'Enter') sort(); });
  }
}

function update(changes, resetPage = true) {
  Object.assign(state, changes);
  if (resetPage) state.offset = 0;
  reload();
}

/** The list's part of the page's address: filters, search, sort and page size. */
export function getView() {
  return { q: state.search, agent: state.agent, user: state.user, status: state.status, stalled: state.stalled, sort: state.sort, limit: String(state.limit) };
}

/** Takes a view from the address; the drop-downs show it once the next answer fills them. */
export function setView(view) {
  Object.assign(state, {
    search: view.q, agent: view.agent, user: view.user, status: view.status, stalled: view.stalled, sort: view.sort,
    limit: Number(view.limit) || 50, offset: 0,
  });
  $('filter-search').value = state.search;
  $('filter-stalled').value = state.stalled;
  const size = $('page-size');
  if (![...size.options].some((o) => o.value === String(state.limit))) size.append(new Option(String(state.limit), String(state.limit)));
  size.value = String(state.limit);
}

export function resetPaging() {
  state.offset = 0;
}

export async function load(ctx) {
  const filters = { ...rangeParams(ctx), search: state.search, agent_name: state.agent, user: state.user, status: state.status, stalled: state.stalled, tags: ctx.tag };
  renderExportLinks(filters);
  const [page, stats] = await Promise.all([
    getJson('running-agents', { ...filters, limit: state.limit, offset: state.offset, sort: state.sort }),
    getJson('agent-stats', { ...rangeParams(ctx), tags: ctx.tag }),
  ]);
  const data = page.data;
  for (const u of data.filters.users) if (u.name) ctx.userNames.set(u.id, u.name);
  if (data.total > 0 && state.offset >= data.total) {
    // The list shrank under the current page: go to the last page that has rows.
    state.offset = Math.floor((data.total - 1) / state.limit) * state.limit;
    return load(ctx);
  }
  renderBoxes(data, stats.data);
  renderFilters(data.filters);
  renderTable(data.agents, ctx);
  renderPager(data.total);
  renderSortMarks();
}

function renderBoxes(page, stats) {
  const filtered = page.by_status ?? {};
  const total = stats.by_status ?? {};
  const pair = (a, b) => `${formatCount(a)} / ${formatCount(b)}`;
  const boxes = [box('Executions', pair(page.total, stats.total_executions), 'filtered / total', 'executions')];
  for (const status of STATUS_ORDER) {
    if (!(status in total) && !(status in filtered)) continue;
    boxes.push(box(status[0].toUpperCase() + status.slice(1), pair(filtered[status] ?? 0, total[status] ?? 0), 'filtered / total', status));
  }
  if (stats.stalled !== undefined) boxes.push(box('Stalled', formatCount(stats.stalled), 'running or starting, silent too long', 'stalled'));
  $('running-boxes').replaceChildren(...boxes);
}

function renderFilters(f) {
  const fill = (select, all, items, current) => {
    select.replaceChildren(option('', all, !current), ...items.map(([value, label]) => option(value, label, value === current)));
    // A chosen value that no execution in the window has any more stays selectable.
    if (current && !items.some(([value]) => value === current)) select.append(option(current, current, true));
  };
  fill($('filter-agent'), 'All agents', f.agent_names.map((a) => [a, a]), state.agent);
  fill($('filter-user'), 'All users', f.users.map((u) => [u.id, u.name ?? u.id]), state.user);
  fill($('filter-status'), 'All statuses', f.statuses.map((s) => [s, s]), state.status);
  $('filter-stalled').value = state.stalled;
}

/** The export carries the list's filters and order, without paging: every matching row. */
function renderExportLinks(filters) {
  for (const format of ['csv', 'ndjson']) $(`export-${format}`).href = url('running-agents/export', { ...filters, sort: state.sort, format });
}

function renderTable(rows, ctx) {
  const body = clear(document.querySelector('#running-table tbody'));
  if (rows.length === 0) {
    const filtered = state.search || state.agent || state.user || state.status || state.stalled || ctx.tag;
    body.append(el('tr', {}, el('td', { colspan: 8 },
      emptyState('inbox', filtered ? 'No executions match these filters.' : 'No executions in this time range yet.'))));
    return;
  }
  for (const row of rows) {
    const status = el('td', {}, statusBadge(row.status), row.stalled ? [' ', stalledBadge()] : null);
    const files = el('button', {
      class: 'chip small files-button', title: 'Show files', 'data-fid': row.fid,
      onclick: () => state.openFiles(row.fid),
    }, icon('upload'), el('span', { text: row.upload_count }), icon('download'), el('span', { text: row.download_count }));
    body.append(el('tr', { 'data-fid': row.fid, 'data-stalled': row.stalled ? 'true' : undefined },
      el('td', { class: 'agent', text: row.agent_name, title: row.agent_name }),
      el('td', { class: 'mono', text: row.fid }),
      el('td', { class: 'user', text: row.user_name || row.user_id, title: row.user_id }),
      status,
      el('td', { class: 'nowrap', text: formatTime(row.start_time) }),
      el('td', { class: 'nowrap', text: formatDuration(row.runtime) }),
      el('td', {}, files),
      el('td', {}, el('a', {
        class: 'button circle transparent small', href: `/outputs/status/${encodeURIComponent(row.fid)}`,
        title: 'Open in Kodosumi', target: '_blank', rel: 'noopener',
      }, icon('open_in_new')))));
  }
}

function renderPager(total) {
  const first = total === 0 ? 0 : state.offset + 1;
  const last = Math.min(state.offset + state.limit, total);
  $('page-info').textContent = `${formatCount(first)}–${formatCount(last)} of ${formatCount(total)}`;
  $('page-prev').disabled = state.offset === 0;
  $('page-next').disabled = last >= total;
}

function renderSortMarks() {
  for (const th of document.querySelectorAll('#running-table th[data-sort]')) {
    const column = th.dataset.sort;
    const mark = state.sort === column ? 'ascending' : state.sort === `-${column}` ? 'descending' : 'none';
    th.setAttribute('aria-sort', mark);
  }
}
