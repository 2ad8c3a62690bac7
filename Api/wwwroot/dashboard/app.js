// The page: tabs, the shared time range and tag, refreshing every 30 s while the tab is visible,
// the login form on 401, and a banner when the API cannot be reached.
import { AuthRequired, ApiUnreachable, login, logout } from './api.js';
import * as running from './running.js';
import * as errors from './errors.js';
import * as timeline from './timeline.js';
import * as stats from './stats.js';
import * as files from './files.js';
import * as tagFilter from './tags.js';

const REFRESH_MS = 30_000;
const tabs = { running, errors, timeline, stats };
const $ = (id) => document.getElementById(id);

/** What every tab needs: the time range, the chosen tag ('' for all), and user names learnt from any answer. */
const ctx = { hours: 24, tag: '', userNames: new Map() };
let active = 'running';
let loading = null;
let pending = false;

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
  loading = (async () => {
    try {
      await Promise.all([tabs[active].load(ctx), tagFilter.load(ctx)]);
      showBanner('');
      showLogin(false);
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
    showBanner('');
    showLogin(true);
  } else if (e instanceof ApiUnreachable) {
    showBanner(e.message);
  } else {
    console.error(e);
    showBanner(`Something went wrong while showing the dashboard: ${e.message}`);
  }
}

function selectTab(name) {
  active = name;
  for (const a of document.querySelectorAll('.tabs [data-tab]')) {
    a.classList.toggle('active', a.dataset.tab === name);
    a.setAttribute('aria-selected', String(a.dataset.tab === name));
  }
  for (const key of Object.keys(tabs)) $(`tab-${key}`).hidden = key !== name;
  history.replaceState(null, '', `#${name}`);
  refresh();
}

function setup() {
  for (const a of document.querySelectorAll('.tabs [data-tab]')) {
    a.tabIndex = 0;
    a.addEventListener('click', () => selectTab(a.dataset.tab));
    a.addEventListener('keydown', (e) => { if (e.key === 'Enter') selectTab(a.dataset.tab); });
  }
  $('hours').addEventListener('change', (e) => {
    ctx.hours = Number(e.target.value);
    running.resetPaging();
    refresh();
  });
  tagFilter.setup(ctx, () => {
    running.resetPaging();
    refresh();
  });
  $('refresh').addEventListener('click', () => refresh());
  $('logout').addEventListener('click', async () => {
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

  // Refresh on an interval, but not while the browser tab is hidden; catch up when it shows again.
  setInterval(() => { if (!document.hidden && $('login').hidden) refresh(); }, REFRESH_MS);
  document.addEventListener('visibilitychange', () => { if (!document.hidden) refresh(); });

  const initial = location.hash.slice(1);
  selectTab(initial in tabs ? initial : 'running');
}

setup();
