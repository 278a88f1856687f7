// topz page: polls the JSON API and renders it. Everything from the API reaches the DOM through textContent or
// DOM properties only, never as markup: command lines are chosen by whoever starts a process.
'use strict';

(() => {
  const API = 'topz?format=json'; // relative, so the page works behind a path prefix
  const DEFAULT_SORT = { key: 'cpu', dir: 'desc' };

  const commandOf = (p) => (p.cmdline ? String(p.cmdline) : '[' + String(p.comm ?? '?') + ']');
  // Kernel threads and zombies have no argv; like ps, topz shows them as [comm].
  const isKernel = (p) => !p.cmdline || p.cmdline === '[' + p.comm + ']';

  // first: the direction of the first click (sizes and rates read best largest first, names and pids in order).
  const COLUMNS = [
    { key: 'pid', first: 'asc', value: (p) => p.pid },
    { key: 'user', first: 'asc', value: (p) => p.user },
    { key: 'state', first: 'asc', value: (p) => p.state },
    { key: 'cpu', first: 'desc', value: (p) => p.cpu_percent },
    { key: 'mem', first: 'desc', value: (p) => p.memory_percent },
    { key: 'rss', first: 'desc', value: (p) => p.rss_bytes },
    { key: 'threads', first: 'desc', value: (p) => p.threads },
    { key: 'fds', first: 'desc', value: (p) => p.open_fds },
    { key: 'started', first: 'desc', value: (p) => startMillis(p) },
    { key: 'command', first: 'asc', value: (p) => commandOf(p) },
  ];
  const BY_KEY = new Map(COLUMNS.map((c) => [c.key, c]));

  const STATES = {
    R: 'running', S: 'sleeping', D: 'uninterruptible sleep (usually I/O)', Z: 'zombie', T: 'stopped',
    t: 'stopped by a debugger', X: 'dead', I: 'idle', P: 'parked', W: 'paging', K: 'wakekill',
  };

  const $ = (id) => document.getElementById(id);
  const tbody = $('rows');
  const filterBox = $('filter');
  const banner = $('error');

  const rows = new Map(); // pid -> { tr, cells, proc }
  let sort = { ...DEFAULT_SORT };
  let query = '';
  let intervalMs = 1000;
  let failingSince = null;

  // ---- URL hash: #sort=mem, #sort=pid&dir=desc, &q=nginx ----

  function readHash() {
    const params = new URLSearchParams(location.hash.replace(/^#/, ''));
    const column = BY_KEY.get(params.get('sort') || '');
    const dir = params.get('dir');
    sort = column
      ? { key: column.key, dir: dir === 'asc' || dir === 'desc' ? dir : column.first }
      : { ...DEFAULT_SORT };
    query = params.get('q') || '';
    if (filterBox.value !== query) filterBox.value = query;
  }

  function writeHash() {
    const params = new URLSearchParams();
    if (sort.key !== DEFAULT_SORT.key || sort.dir !== DEFAULT_SORT.dir) {
      params.set('sort', sort.key);
      if (sort.dir !== BY_KEY.get(sort.key).first) params.set('dir', sort.dir);
    }
    if (query) params.set('q', query);
    const hash = params.toString();
    // replaceState: sorting and typing are not navigation, the back button should leave the page.
    history.replaceState(null, '', hash ? '#' + hash : location.pathname + location.search);
  }

  // ---- formatting ----

  const pad = (n) => String(n).padStart(2, '0');
  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

  function startMillis(p) {
    const t = Date.parse(p.start_time);
    return Number.isNaN(t) ? null : t;
  }

  function clock(d) {
    return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  }

  // As ps: the time of day when today, the date when this year, the year before that.
  function started(ms, now) {
    if (ms === null) return '—';
    const d = new Date(ms);
    if (d.toDateString() === now.toDateString()) return clock(d);
    if (d.getFullYear() === now.getFullYear()) return MONTHS[d.getMonth()] + ' ' + pad(d.getDate());
    return String(d.getFullYear());
  }

  function bytes(n) {
    if (typeof n !== 'number' || !Number.isFinite(n)) return '—';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
    let i = 0;
    let v = n;
    while (v >= 1024 && i < units.length - 1) {
      v /= 1024;
      i++;
    }
    return i === 0 ? v + ' B' : v.toFixed(1) + ' ' + units[i];
  }

  const num = (n, digits) => (typeof n === 'number' && Number.isFinite(n) ? n.toFixed(digits) : '—');
  const int = (n) => (typeof n === 'number' && Number.isFinite(n) ? String(n) : '—');

  // ---- rendering ----

  const CELL_CLASSES = ['num pid', 'user', 'state', 'num', 'num', 'num', 'num', 'num', 'num', 'cmd'];

  function createRow(pid) {
    const tr = document.createElement('tr');
    tr.dataset.pid = String(pid);
    const cells = CELL_CLASSES.map((base) => {
      const td = document.createElement('td');
      td.className = base;
      tr.appendChild(td);
      return { td, base };
    });
    return { tr, cells, proc: null };
  }

  // Writes only what changed: a refresh that changes nothing touches nothing.
  function setCell(cell, text, extraClass, title) {
    const td = cell.td;
    if (td.textContent !== text) td.textContent = text;
    const cls = extraClass ? cell.base + ' ' + extraClass : cell.base;
    if (td.className !== cls) td.className = cls;
    if (title !== undefined && td.title !== title) td.title = title;
  }

  function updateRow(row, p, now) {
    const c = row.cells;
    const command = commandOf(p);
    const startMs = startMillis(p);
    setCell(c[0], int(p.pid), '', 'parent ' + int(p.ppid));
    setCell(c[1], String(p.user ?? '—'), '', String(p.user ?? ''));
    const state = String(p.state ?? '?');
    setCell(c[2], state, /^[A-Za-z]$/.test(state) ? 'state-' + state : '', STATES[state] || state);
    // Dim what reads as nothing, so the few busy processes stand out.
    const cpu = num(p.cpu_percent, 1);
    const mem = num(p.memory_percent, 1);
    setCell(c[3], cpu, cpu === '0.0' ? 'zero' : '', 'CPU time ' + num(p.cpu_seconds_total, 2) + ' s');
    setCell(c[4], mem, mem === '0.0' ? 'zero' : '');
    setCell(c[5], bytes(p.rss_bytes), p.rss_bytes ? '' : 'zero', int(p.rss_bytes) + ' bytes');
    setCell(c[6], int(p.threads));
    const fdsKnown = typeof p.open_fds === 'number';
    setCell(c[7], fdsKnown ? int(p.open_fds) : '—', fdsKnown ? '' : 'zero', fdsKnown ? '' : 'not readable by topz');
    setCell(c[8], started(startMs, now), '', startMs === null ? '' : new Date(startMs).toLocaleString());
    setCell(c[9], command, isKernel(p) ? 'kernel' : '', command);
    row.proc = p;
  }

  function compare(a, b) {
    const column = BY_KEY.get(sort.key);
    const va = column.value(a.proc);
    const vb = column.value(b.proc);
    // Missing values (an unreadable fd count) sort last whichever the direction.
    const missingA = va === null || va === undefined;
    const missingB = vb === null || vb === undefined;
    if (missingA !== missingB) return missingA ? 1 : -1;
    let r = 0;
    if (!missingA) {
      if (typeof va === 'number' && typeof vb === 'number') r = va - vb;
      else r = String(va) < String(vb) ? -1 : String(va) > String(vb) ? 1 : 0;
    }
    if (sort.dir === 'desc') r = -r;
    return r !== 0 ? r : a.proc.pid - b.proc.pid;
  }

  function matches(row) {
    return !query || commandOf(row.proc).toLowerCase().includes(query.toLowerCase());
  }

  function renderHeaders() {
    for (const th of document.querySelectorAll('#procs thead th')) {
      if (th.dataset.key === sort.key) th.setAttribute('aria-sort', sort.dir === 'asc' ? 'ascending' : 'descending');
      else th.removeAttribute('aria-sort');
    }
  }

  function renderRows() {
    const visible = [...rows.values()].filter(matches).sort(compare);
    // Move only the rows that are out of place, so unchanged rows are never detached and nothing flickers.
    let cursor = tbody.firstElementChild;
    for (const row of visible) {
      if (row.tr === cursor) {
        cursor = cursor.nextElementSibling;
      } else {
        tbody.insertBefore(row.tr, cursor);
      }
    }
    while (cursor) {
      const next = cursor.nextElementSibling;
      cursor.remove();
      cursor = next;
    }
    $('empty').hidden = visible.length > 0 || rows.size === 0;
    $('shown').textContent = query
      ? visible.length + ' of ' + rows.size + ' processes match “' + query + '”'
      : rows.size + ' processes';
    renderHeaders();
  }

  function renderSummary(s) {
    const count = typeof s.process_count === 'number' ? s.process_count : rows.size;
    $('s-count').textContent = String(count);
    $('s-load').textContent = Array.isArray(s.load_average) ? s.load_average.map((l) => num(l, 2)).join('  ') : '—';
    const cpus = int(s.cpu_count) + (s.cpu_count === 1 ? ' core' : ' cores');
    $('s-cpu').textContent = typeof s.cpu_quota_cores === 'number' ? cpus + ', quota ' + num(s.cpu_quota_cores, 2) : cpus;
    $('s-mem').textContent = memory(s);
    const t = new Date(Date.parse(s.sample_time));
    $('s-time').textContent = Number.isNaN(t.getTime()) ? '—' : clock(t);
    $('s-time').title = String(s.sample_time ?? '');
    $('interval').textContent = String(intervalMs / 1000);
  }

  function memory(s) {
    const used = s.memory_usage_bytes;
    if (typeof s.memory_limit_bytes === 'number' && s.memory_limit_bytes > 0) {
      const pct = typeof used === 'number' ? ' (' + ((100 * used) / s.memory_limit_bytes).toFixed(1) + '%)' : '';
      return bytes(used) + ' / ' + bytes(s.memory_limit_bytes) + pct;
    }
    return bytes(used) + ' / no limit (host ' + bytes(s.memory_total_bytes) + ')';
  }

  function render(data) {
    const now = new Date(Date.parse(data.summary.sample_time) || Date.now());
    const seen = new Set();
    for (const p of data.processes) {
      if (typeof p.pid !== 'number' || seen.has(p.pid)) continue;
      seen.add(p.pid);
      let row = rows.get(p.pid);
      if (!row) {
        row = createRow(p.pid);
        rows.set(p.pid, row);
      }
      updateRow(row, p, now);
    }
    for (const [pid, row] of rows) {
      if (!seen.has(pid)) {
        row.tr.remove();
        rows.delete(pid);
      }
    }
    renderSummary(data.summary);
    renderRows();
  }

  // ---- polling ----

  function showError(message) {
    failingSince ??= new Date();
    banner.textContent = 'Cannot reach topz since ' + clock(failingSince) + ' (' + message + '). Retrying; the table shows the last sample.';
    banner.hidden = false;
    document.body.classList.add('stale');
  }

  function clearError() {
    failingSince = null;
    banner.hidden = true;
    banner.textContent = '';
    document.body.classList.remove('stale');
  }

  let failures = 0;

  async function poll() {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), Math.max(5000, 3 * intervalMs));
    let next = intervalMs;
    try {
      const response = await fetch(API, { cache: 'no-store', headers: { Accept: 'application/json' }, signal: abort.signal });
      if (!response.ok) throw new Error('HTTP ' + response.status);
      const data = await response.json();
      if (!data || typeof data.summary !== 'object' || !Array.isArray(data.processes)) throw new Error('unexpected response');
      const seconds = Number(data.summary.interval_seconds);
      intervalMs = seconds > 0 ? Math.max(100, seconds * 1000) : 1000;
      next = intervalMs;
      failures = 0;
      clearError();
      render(data);
    } catch (e) {
      failures++;
      const message = e && e.name === 'AbortError' ? 'timed out' : e instanceof TypeError ? 'network error' : String(e && e.message ? e.message : e);
      showError(message);
      // Back off a little while it is down (a restart takes seconds), but never so much that recovery looks slow.
      next = Math.min(intervalMs * failures, 5000);
    } finally {
      clearTimeout(timer);
      setTimeout(poll, next);
    }
  }

  // ---- events ----

  document.querySelector('#procs thead').addEventListener('click', (e) => {
    const th = e.target.closest('th[data-key]');
    if (!th) return;
    const column = BY_KEY.get(th.dataset.key);
    sort = sort.key === column.key
      ? { key: column.key, dir: sort.dir === 'asc' ? 'desc' : 'asc' }
      : { key: column.key, dir: column.first };
    writeHash();
    renderRows();
  });

  filterBox.addEventListener('input', () => {
    query = filterBox.value;
    writeHash();
    renderRows();
  });

  window.addEventListener('hashchange', () => {
    readHash();
    renderRows();
  });

  readHash();
  renderHeaders();
  poll();
})();
