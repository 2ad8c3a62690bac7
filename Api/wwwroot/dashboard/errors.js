// Errors: one card per error event, newest first, with the stack trace folded in a <details>.
import { getJson } from './api.js';
import { params as rangeParams } from './range.js';
import { el, clear, icon, emptyState, formatCount, formatTime } from './dom.js';

const LIMIT = 100;

export async function load(ctx) {
  const { data } = await getJson('errors', { ...rangeParams(ctx), limit: LIMIT });
  const list = clear(document.getElementById('errors-list'));
  document.getElementById('errors-summary').textContent = data.total > data.errors.length
    ? `${formatCount(data.total)} errors in this time range; the newest ${formatCount(data.errors.length)} are shown.`
    : `${formatCount(data.total)} errors in this time range.`;
  if (data.errors.length === 0) {
    list.append(emptyState('check_circle', 'No errors in this time range.'));
    return;
  }
  for (const e of data.errors) list.append(card(e, ctx));
}

/** The error's text: Kodosumi stores a traceback or JSON; the API wraps plain text as {"error": text}. */
export function errorText(error) {
  if (error && typeof error === 'object' && Object.keys(error).length === 1 && typeof error.error === 'string') return error.error;
  return typeof error === 'string' ? error : JSON.stringify(error, null, 2);
}

/** One line to show: a traceback's last line (the exception), else the first line. */
export function headline(error) {
  if (error && typeof error === 'object' && typeof error.error === 'string') {
    const extra = typeof error.detail === 'string' ? `: ${error.detail}` : '';
    const lines = error.error.split('\n').map((l) => l.trim()).filter(Boolean);
    const main = lines[0]?.startsWith('Traceback') ? lines[lines.length - 1] : lines[0];
    return (main ?? '') + extra;
  }
  return errorText(error).split('\n')[0];
}

function card(e, ctx) {
  const user = e.user_name || ctx.userNames.get(e.user_id) || e.user_id;
  return el('article', { class: 'error-card border', 'data-fid': e.fid },
    el('nav', {},
      icon('error'),
      el('h6', { class: 'max error-message', text: headline(e.error) })),
    el('div', { class: 'error-meta' },
      metaItem('smart_toy', el('span', { class: 'agent', text: e.agent_name ?? '' })),
      metaItem('tag', el('a', { class: 'mono', href: `/outputs/status/${encodeURIComponent(e.fid)}`, target: '_blank', rel: 'noopener', text: e.fid, title: 'Open in Kodosumi' })),
      metaItem('person', el('span', { class: 'user', text: user, title: e.user_id })),
      metaItem('schedule', el('span', { class: 'time', text: formatTime(e.timestamp) }))),
    el('details', {},
      el('summary', { text: 'Stack trace' }),
      el('pre', { class: 'trace', text: errorText(e.error) })));
}

const metaItem = (iconName, content) => el('span', { class: 'meta-item' }, icon(iconName), content);
