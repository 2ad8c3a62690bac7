// Statistics: summary figures and two D3 pie charts (status distribution, executions per user).
import { getJson } from './api.js';
import { el, clear, box, emptyState, formatCount, formatDuration, formatPercent, STATUS_COLORS } from './dom.js';

const d3 = globalThis.d3;
const SIZE = 240;

export async function load(ctx) {
  const { data } = await getJson('agent-stats', { hours: ctx.hours });
  const unknownUsers = Object.keys(data.by_user).filter((id) => !ctx.userNames.has(id));
  if (unknownUsers.length > 0) {
    // The user names come with the running-agents filters.
    const names = await getJson('running-agents', { hours: ctx.hours, limit: 1 });
    for (const u of names.data.filters.users) if (u.name) ctx.userNames.set(u.id, u.name);
  }

  document.getElementById('stats-figures').replaceChildren(
    box('Total executions', formatCount(data.total_executions), null, 'total'),
    box('Running now', formatCount(data.running), null, 'running'),
    box('Error rate', formatPercent(data.error_rate), null, 'error-rate'),
    box('Average runtime', formatDuration(data.avg_runtime), null, 'avg-runtime'),
    box('Median runtime', formatDuration(data.median_runtime), null, 'median-runtime'),
    box('95th percentile', formatDuration(data.p95_runtime), null, 'p95-runtime'));

  pie(document.getElementById('pie-status'),
    Object.entries(data.by_status).map(([status, n]) => ({ key: status, label: status, value: n, color: STATUS_COLORS[status] })));
  const userColor = d3.scaleOrdinal(d3.schemeTableau10);
  pie(document.getElementById('pie-users'),
    Object.entries(data.by_user).map(([id, n]) => ({ key: id, label: ctx.userNames.get(id) ?? id, value: n, color: userColor(id) })));
}

/** A pie chart with a legend of label, count and share; slices largest first. */
function pie(container, slices) {
  clear(container);
  slices.sort((a, b) => b.value - a.value || a.label.localeCompare(b.label));
  const total = d3.sum(slices, (s) => s.value);
  if (total === 0) {
    container.append(emptyState('donut_large', 'No executions in this time range.'));
    return;
  }
  const arcs = d3.pie().sort(null).value((s) => s.value)(slices);
  const arc = d3.arc().innerRadius(SIZE * 0.22).outerRadius(SIZE / 2 - 4);
  const svg = d3.select(container).append('svg')
    .attr('viewBox', `${-SIZE / 2} ${-SIZE / 2} ${SIZE} ${SIZE}`).attr('width', SIZE).attr('height', SIZE);
  svg.selectAll('path').data(arcs).join('path')
    .attr('d', arc).attr('fill', (a) => a.data.color ?? '#795548').attr('stroke', 'white').attr('stroke-width', 1.5)
    .append('title').text((a) => `${a.data.label}: ${a.data.value}`);

  container.append(el('ul', { class: 'legend-list' }, slices.map((s) => el('li', { 'data-key': s.key },
    el('span', { class: 'swatch', style: `background:${s.color ?? '#795548'}` }),
    el('span', { class: 'legend-label max', text: s.label, title: s.key }),
    el('span', { class: 'legend-value', text: formatCount(s.value) }),
    el('span', { class: 'legend-share', text: formatPercent(s.value / total) })))));
}
