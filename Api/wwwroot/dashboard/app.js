// The page: tabs, the shared time range and tag, the login form on 401, and a banner when the API
// cannot be reached. It refreshes when the live stream says something changed, and polls every 30 s
// while the stream is down (every 5 minutes while it is up: time windows slide without events).
import { AuthRequired, ApiUnreachable, login, logout, forgetAnswers } from './api.js';
import { createLiveStream } from './live.js';
import * as running from './running.js';
import * as errors from './errors.js';
import * as timeline from './timeline.js';
import * as stats from './stats.js';
import * as files from './files.js';
import * as tagFilter from './tags.js';
import * as range from './range.js';
import * as view from './view.js';

/** Timings; a test (or an embedding page) may override them through globalThis.kodosumiDashboard. */
const timing = {
  pollMs: 30_000, // while the stream is down
  livePollMs: 300_000, // while it is up
  eventDelayMs: 1_000, // events within this long cause one refresh
  hiddenCloseMs: 60_000, // a tab hidden this long closes its stream
  heartbeatMs: 15_000, // the stream's heartbeat interval until its first heartbeat tells it
  ...globalThis.kodosumiDashboard,
};
const tabs = { running, errors, timeline, stats };
const $ = (id) => document.getElementById(id);

/** What every tab needs: the time range (hours, or from/to), the chosen tag ('' for all), and user names learnt from any answer. */
const ctx = { hours: 24, from: '', to: '', tag: '', userNames: new Map() };
let active = 'running';
let loading = null;
let pending = false;

const LIVE_TEXT = { connecting: 'connecting', live: 'live', reconnecting: 'reconnecting', off: 'not live' };

function showLive(state) {
  $('live').dataset.state = state;
  $('live-text').textContent = LIVE_TEXT[state];
  $('live').title = state === 'live' ? 'Changes show as they happen' : `Refreshing every ${timing.pollMs / 1000} s until the live stream is back`;
  schedulePoll();
}

const live = createLiveStream({
  onChange: refreshSoon,
  onReset: () => {
    forgetAnswers();
    refresh();
  },
  onState: showLive,
  onAuthRequired: () => handleFailure(new AuthRequired('Log in to see the dashboard.')),
  heartbeatMs: timing.heartbeatMs,
});

let pollTimer = null;
let pollEvery = 0;

/** Polls at the pace the stream's state asks for; a state change to the same pace keeps the waiting tick. */
function schedulePoll() {
  const every = live.state === 'live' ? timing.livePollMs : timing.pollMs;
  if (every === pollEvery && pollTimer) return;
  clearTimeout(pollTimer);
  pollEvery = every;
  pollTimer = setTimeout(() => {
    pollTimer = null;
    if (!document.hidden && $('login').hidden) refresh();
    schedulePoll();
  }, every);
}

let eventTimer = null;

/** Refreshes once for every burst of events, and not while the tab is hidden (it refreshes when shown). */
function refreshSoon() {
  if (eventTimer) return;
  eventTimer = setTimeout(() => {
    eventTimer = null;
    if (!document.hidden) refresh();
  }, timing.eventDelayMs);
}

let hiddenTimer = null;

function onVisibilityChange() {
  clearTimeout(hiddenTimer);
  if (document.hidden) {
    hiddenTimer = setTimeout(() => live.stop(), timing.hiddenCloseMs);
  } else {
    refresh(); // catches up, and reopens the stream once it answers
  }
}

function setUpdated(text) {
  $('updated').textContent = text;
}

function showBanner(text) {
  $('banner-text').textContent = text;
  $('banner').hidden = !text;
}

function showLogin(show) {
  $('login').hidden = !show;
  $('dashboard').hidden = show;
  $('logout').hidden = show;
  if (show) $('login-name').focus();
}

/** Loads the active tab; a call while one is loading runs once more after it. */
async function refresh() {
  if (loading) {
    pending = true;
    return loading;
  }
  view.save(currentView());
  loading = (async () => {
    try {
      await Promise.all([tabs[active].load(ctx), tagFilter.load(ctx)]);
      showBanner('');
      showLogin(false);
      if (!document.hidden) live.start();
      setUpdated(`Updated ${new Date().toLocaleTimeString()}`);
    } catch (e) {
      handleFailure(e);
    } finally {
      loading = null;
    }
  })();
  await loading;
  if (pending) {
    pending = false;
    await refresh();
  }
}

function handleFailure(e) {
  if (e instanceof AuthRequired) {
    live.stop();
    showBanner('');
    showLogin(true);
  } else if (e instanceof ApiUnreachable) {
    showBanner(e.message);
  } else {
    console.error(e);
    showBanner(`Something went wrong while showing the dashboard: ${e.message}`);
  }
}

/** What the address keeps: the tab, the range, the tag and the list's filters, search and sort. */
function currentView() {
  return { tab: active, hours: String(ctx.hours), from: ctx.from, to: ctx.to, tag: ctx.tag, ...running.getView() };
}

/** Shows a view read from the address (on load, back and forward). */
function applyView(v) {
  Object.assign(ctx, { hours: Number(v.hours) || 24, from: v.from, to: v.to, tag: v.tag });
  range.show(ctx);
  const tag = $('tag-filter');
  if (ctx.tag && ![...tag.options].some((o) => o.value === ctx.tag)) tag.append(new Option(ctx.tag, ctx.tag));
  tag.value = ctx.tag;
  running.setView(v);
  showTab(v.tab in tabs ? v.tab : 'running');
}

function showTab(name) {
  active = name;
  for (const a of document.querySelectorAll('.tabs [data-tab]')) {
    a.classList.toggle('active', a.dataset.tab === name);
    a.setAttribute('aria-selected', String(a.dataset.tab === name));
  }
  for (const key of Object.keys(tabs)) $(`tab-${key}`).hidden = key !== name;
}

function selectTab(name) {
  showTab(name);
  refresh();
}

function setup() {
  for (const a of document.querySelectorAll('.tabs [data-tab]')) {
    a.tabIndex = 0;
    a.addEventListener('click', () => selectTab(a.dataset.tab));
    a.addEventListener('keydown', (e) => { if (e.key === 'Enter') selectTab(a.dataset.tab); });
  }
  range.setup(ctx, () => {
    running.resetPaging();
    refresh();
  });
  tagFilter.setup(ctx, () => {
    running.resetPaging();
    refresh();
  });
  $('refresh').addEventListener('click', () => refresh());
  $('copy-link').addEventListener('click', async () => {
    const link = location.href;
    const copied = await view.copy(link);
    $('copy-link').dataset.link = link;
    setUpdated(copied ? 'Link copied' : `Copy this link: ${link}`);
  });
  window.addEventListener('popstate', () => {
    applyView(view.read(location.hash.slice(1)));
    refresh();
  });
  $('logout').addEventListener('click', async () => {
    live.stop();
    await logout();
    location.reload();
  });
  $('login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    $('login-submit').disabled = true;
    const problem = await login($('login-name').value, $('login-password').value);
    $('login-submit').disabled = false;
    $('login-error').textContent = problem ?? '';
    $('login-error').hidden = !problem;
    if (!problem) {
      $('login-password').value = '';
      await refresh();
    }
  });
  running.setup(refresh, (fid) => files.open(fid).catch(handleFailure));
  files.setup();

  // Polling does not run while the browser tab is hidden; it catches up when the tab shows again.
  showLive(live.state);
  document.addEventListener('visibilitychange', onVisibilityChange);

  // The address holds the view (an older link names only the tab, as #tab).
  applyView(view.read(location.hash.slice(1)));
  refresh();
}

setup();
