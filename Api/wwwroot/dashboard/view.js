// The page's whole state in its address (?tab=…&hours=… or from/to, filters, search, sort, tag), so a
// reload, back and forward, and a link sent to someone else open the same view. The query string (not
// the fragment) carries it, because the sign-in redirect keeps the query. Defaults are left out.
const DEFAULTS = { tab: 'running', hours: '24', from: '', to: '', tag: '', q: '', agent: '', user: '', status: '', stalled: '', sort: '-start_time', limit: '50' };
const KEYS = Object.keys(DEFAULTS);

/** The view the address names; `fallbackTab` is the older `#tab` form. */
export function read(fallbackTab) {
  const query = new URLSearchParams(location.search);
  const view = {};
  for (const key of KEYS) view[key] = query.get(key) ?? DEFAULTS[key];
  if (!query.has('tab') && fallbackTab) view.tab = fallbackTab;
  // A range is either the last so many hours or from/to; the address may not hold both.
  if (view.from || view.to) view.hours = DEFAULTS.hours;
  return view;
}

/** The address of a view: the page's path and the non-default parts. */
export function addressOf(view) {
  const query = new URLSearchParams();
  for (const key of KEYS) {
    const value = view[key] === undefined || view[key] === null ? '' : String(view[key]);
    if (value !== DEFAULTS[key]) query.set(key, value);
  }
  const q = query.toString();
  return `${location.pathname}${q ? `?${q}` : ''}`;
}

let written = false;

/** Records the view: a new history entry when it changed (the first one replaces, so loading adds no entry). */
export function save(view) {
  const address = addressOf(view);
  if (address === `${location.pathname}${location.search}` && !location.hash) {
    written = true;
    return;
  }
  if (written) history.pushState(null, '', address);
  else history.replaceState(null, '', address);
  written = true;
}

/** Copies text to the clipboard; falls back to a selected text area where the Clipboard API is refused. */
export async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.append(area);
    area.select();
    const done = document.execCommand('copy');
    area.remove();
    return done;
  }
}
