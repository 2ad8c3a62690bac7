// Small DOM and formatting helpers. Everything from the API goes into the page as text
// (textContent, attributes), never as HTML.

/**
 * Creates an element. props: class, text, title, and any attribute (href, type, ...);
 * children: elements or strings (strings become text nodes).
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = String(value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export const icon = (name) => el('i', { text: name, 'aria-hidden': 'true' });

export function clear(node) {
  node.replaceChildren();
  return node;
}

export function option(value, label, selected) {
  return el('option', { value, text: label, selected: selected || undefined });
}

const number = new Intl.NumberFormat('en-US');
export const formatCount = (n) => number.format(n ?? 0);

export function formatPercent(fraction) {
  return `${((fraction ?? 0) * 100).toFixed(1)}%`;
}

/** Seconds as "850 ms", "42.0 s", "3m 05s", "2h 04m". */
export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '–';
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Unix seconds as a local date and time. */
export function formatTime(unixSeconds) {
  if (!unixSeconds) return '–';
  return new Date(unixSeconds * 1000).toLocaleString(undefined, {
    year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
}

export function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** The status colours of Kodosumi's dashboard. */
export const STATUS_COLORS = {
  finished: '#2e7d32',
  running: '#1565c0',
  awaiting: '#f9a825',
  error: '#c62828',
  starting: '#9e9e9e',
  unknown: '#616161',
};
export const STATUS_ORDER = ['finished', 'running', 'awaiting', 'starting', 'error', 'unknown'];

export function statusBadge(status) {
  const known = status in STATUS_COLORS ? status : 'unknown';
  return el('span', { class: `status-badge status-${known}`, text: status, 'data-status': status });
}

/** Marks a run whose process may have died: running or starting, and silent for too long. */
export function stalledBadge() {
  return el('span', { class: 'status-badge stalled-badge', text: 'stalled', title: 'No event for longer than the stall limit: its process may have died' });
}

/** A statistic box: a label, a big value, and an optional line under it. */
export function box(label, value, note, testId) {
  return el('article', { class: 'box s6 m4 l2', 'data-box': testId },
    el('div', { class: 'box-label', text: label }),
    el('div', { class: 'box-value', text: value }),
    note ? el('div', { class: 'box-note', text: note }) : null);
}

export function emptyState(iconName, text) {
  return el('div', { class: 'empty-state' }, icon(iconName), el('p', { text }));
}
