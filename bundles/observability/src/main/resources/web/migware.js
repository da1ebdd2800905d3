// MigWare's web page: reads /api/status and one page of /api/connections every second and
// draws them. Read only. Every value goes into the page as text (textContent), never as markup.
'use strict';
(function () {
  const REFRESH_MILLIS = 1000;
  const body = document.body;
  const $ = (id) => document.getElementById(id);
  let offset = 0;
  let timer = null;
  let lastTotal = 0;
  let generation = 0;

  window.addEventListener('error', () => {
    body.dataset.jsErrors = String(Number(body.dataset.jsErrors) + 1);
  });

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  function row(cells) {
    const tr = document.createElement('tr');
    for (const c of cells) {
      if (c instanceof Node) {
        const td = document.createElement('td');
        td.appendChild(c);
        tr.appendChild(td);
      } else if (c && typeof c === 'object') {
        tr.appendChild(el('td', c.text, c.cls));
      } else {
        tr.appendChild(el('td', c));
      }
    }
    return tr;
  }

  function fill(tableId, rows) {
    const old = $(tableId).tBodies[0];
    const tbody = document.createElement('tbody');
    for (const r of rows) tbody.appendChild(row(r));
    old.replaceWith(tbody);
    $(tableId).dataset.rows = String(rows.length);
  }

  function pairs(dlId, entries) {
    const dl = $(dlId);
    dl.replaceChildren();
    for (const [k, v] of entries) {
      dl.appendChild(el('dt', k));
      dl.appendChild(el('dd', v === null || v === undefined ? '–' : v));
    }
  }

  const end = (e) => !e ? '–' : (e.address.indexOf(':') >= 0 ? '[' + e.address + ']' : e.address) + ':' + e.port;
  const time = (iso) => !iso ? '–' : iso.replace('T', ' ').replace(/(\.\d{3})\d*/, '$1').replace('Z', ' UTC');
  const num = (n) => n === null || n === undefined || n < 0 ? '–' : Number(n).toLocaleString('en');

  function seconds(fromIso, toIso) {
    const ms = Date.parse(toIso) - Date.parse(fromIso);
    return isNaN(ms) ? '–' : (Math.max(0, ms) / 1000).toFixed(1) + ' s';
  }

  function drawStatus(page) {
    const s = page.status;
    const f = s.failover;
    const state = f ? f.state : 'UNKNOWN';
    const badge = $('state');
    badge.textContent = f ? state : 'core not running';
    badge.className = 'state ' + state;
    body.dataset.state = state;
    // every state this page has drawn since it was opened, in order: a change seen without a reload
    const seen = body.dataset.statesSeen ? body.dataset.statesSeen.split(' ') : [];
    if (seen[seen.length - 1] !== state) body.dataset.statesSeen = seen.concat(state).join(' ');
    $('since').textContent = f ? 'since ' + time(f.since) : '';
    $('reason').textContent = f ? f.reason : 'the core\u2019s failover coordinator is not running';
    pairs('failover', f ? [
      ['policy', f.policy.mode + (f.policy.mode === 'QUORUM' ? ' ' + f.policy.quorum : '') + ', hold-down ' + f.policy.holdDownMillis + ' ms'
        + (f.policy.dryRun ? ', dry run' : '')],
      ['fence', f.fence.configured ? f.fence.command : 'none (the primary is trusted to stay down)'],
      ['fence last failure', f.fence.lastFailure],
      ['replica', page.replica ? page.replica.tun + (page.replica.tunUp ? ' up' : ' DOWN') + '; '
        + page.replica.ports.map((p) => p.servicePort + '\u2192' + p.replicaPort + (p.listening ? ' listening' : ' NOT listening')).join(', ') : null],
    ] : []);

    const history = page.history.slice().reverse();
    fill('timeline', history.map((e) => [time(e.time), e.from || 'start', { text: e.to, cls: e.to }, { text: e.reason, cls: 'reason' }]));
    $('history-note').textContent = page.historyCapacity ? '(the last ' + page.historyCapacity + ' changes, newest first)' : '(no history: core not running)';

    fill('monitors', s.monitors.map((v) => [v.monitor, v.target, { text: v.status, cls: v.status }, time(v.time), { text: v.reason, cls: 'reason' }]));

    fill('captures', s.captures.map((c) => {
      const st = c.statistics;
      const mine = Object.entries(st.droppedByUs || {});
      return [c.source, st.running ? 'yes' : 'NO', num(st.received), num(st.droppedByKernel), num(st.droppedByInterface),
        mine.length ? mine.map(([k, v]) => k + '=' + v).join(' ') : '0'];
    }));
    const t = s.connections;
    pairs('table-stats', t ? [
      ['tracked', num(t.tracked) + ' of ' + num(t.capacity)],
      ['created', num(t.created)],
      ['removed', 'evicted ' + num(t.evictedForCapacity) + ', idle ' + num(t.expiredIdle) + ', closed ' + num(t.expiredClosed)],
      ['packets tracked', num(t.packetsTracked)],
    ] : [['tracker', 'not running']]);

    const m = s.migration;
    const settled = m.recovered + m.failed + m.notRecoverable;
    const all = settled + m.queued + m.handshaking;
    $('recovery-done').style.width = all ? (100 * settled / all).toFixed(1) + '%' : '0';
    $('recovery-bar').dataset.settled = String(settled);
    $('recovery-bar').dataset.all = String(all);
    pairs('recovery', [
      ['phase', m.phase + (m.detail ? ' (' + m.detail + ')' : '')],
      ['started', time(m.recoveryStarted)],
      ['finished', time(m.recoveryFinished)],
      ['duration', m.recoveryNanos > 0 ? (m.recoveryNanos / 1e6).toFixed(1) + ' ms' : '–'],
      ['connections', num(m.recovered) + ' recovered, ' + num(m.failed) + ' failed, ' + num(m.queued) + ' queued, '
        + num(m.handshaking) + ' handshaking, ' + num(m.notRecoverable) + ' not recoverable'],
      ['passed through / dropped', num(m.passedThrough) + ' / ' + num(m.dropped)],
      ['bytes handed over', num(m.bytesHandedOver)],
      ['resets sent', num(m.resetsSent)],
      ['PROXY traffic', m.traffic ? num(m.traffic.packetsToReplica) + ' packets / ' + num(m.traffic.bytesToReplica) + ' bytes to the replica, '
        + num(m.traffic.packetsToClient) + ' / ' + num(m.traffic.bytesToClient) + ' to the clients, '
        + num(m.traffic.arpAnswers) + ' ARP answers' : null],
    ]);
  }

  function drawConnections(report, now) {
    lastTotal = report.total;
    fill('connections', report.connections.map((c) => [end(c.client), end(c.server), c.state, c.handshakeSeen ? 'seen' : 'missed',
      time(c.firstSeen), seconds(c.lastActivity, now), num(c.clientToServer.bytes), num(c.serverToClient.bytes),
      num(c.clientToServer.packets), num(c.serverToClient.packets), num(c.clientToServer.retransmissions + c.serverToClient.retransmissions)]));
    const table = $('connections');
    table.dataset.total = String(report.total);
    table.dataset.offset = String(report.offset);
    table.dataset.filter = report.filter;
    const first = report.connections.length ? report.offset + 1 : 0;
    $('page-info').textContent = (report.tracking ? first + '\u2013' + (report.offset + report.connections.length) + ' of ' + num(report.total)
      + (report.filter ? ' matching ' + report.filter : '') : 'the tracker is not running');
    $('prev').disabled = report.offset === 0;
    $('next').disabled = report.offset + report.connections.length >= report.total;

    fill('mappings', report.mappings.map((m) => [end(m.client), end(m.shadow), end(m.replica), { text: m.state, cls: m.state },
      m.translation ? m.translation.d2 : '–', m.translation ? m.translation.timestampOffset : '–',
      m.translation ? m.translation.primaryWindowShift + '\u2192' + m.translation.replicaWindowShift : '–',
      m.streamStart, num(m.handOverBytesLeft), num(m.packetsToReplica), num(m.packetsToClient),
      m.replay ? m.replay.bytesVerified + ' verified, ' + m.replay.bytesLeftToRegenerate + ' to regenerate' : 'resumed']));
    $('mappings-info').textContent = report.mappingsTotal ? '(' + report.mappings.length + ' of ' + num(report.mappingsTotal) + ')' : '(none)';
  }

  function connectionsUrl() {
    const q = new URLSearchParams({ filter: $('filter').value.trim(), limit: $('limit').value, offset: String(offset) });
    return '../api/connections?' + q.toString();
  }

  async function json(url) {
    const r = await fetch(url, { cache: 'no-store' });
    const text = await r.text();
    if (!r.ok) {
      const e = new Error(text.trim() || ('HTTP ' + r.status));
      e.status = r.status;
      throw e;
    }
    return JSON.parse(text);
  }

  async function refresh() {
    clearTimeout(timer);
    const mine = ++generation;
    try {
      const [page, connections] = await Promise.all([
        json('../api/status'),
        json(connectionsUrl()).catch((e) => {
          if (e.status === 400) return { badQuery: e.message };
          throw e;
        }),
      ]);
      if (mine !== generation) return; // a newer request (a new filter) is on its way
      drawStatus(page);
      const qe = $('query-error');
      if (connections.badQuery) {
        qe.textContent = connections.badQuery;
        qe.hidden = false;
      } else {
        qe.hidden = true;
        drawConnections(connections, page.status.time);
      }
      $('error').hidden = true;
      $('updated').textContent = 'updated ' + time(page.status.time);
      body.dataset.refreshes = String(Number(body.dataset.refreshes) + 1);
    } catch (e) {
      if (mine !== generation) return;
      $('error').textContent = 'cannot read the status: ' + e.message;
      $('error').hidden = false;
    } finally {
      if (mine === generation) timer = setTimeout(refresh, REFRESH_MILLIS);
    }
  }

  let typing = null;
  $('filter').addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => { offset = 0; refresh(); }, 300);
  });
  $('limit').addEventListener('change', () => { offset = 0; refresh(); });
  $('query').addEventListener('submit', (e) => { e.preventDefault(); offset = 0; refresh(); });
  $('prev').addEventListener('click', () => { offset = Math.max(0, offset - Number($('limit').value)); refresh(); });
  $('next').addEventListener('click', () => {
    if (offset + Number($('limit').value) < lastTotal) offset += Number($('limit').value);
    refresh();
  });

  // the filter can come in the address, e.g. /migware/?filter=10.0.0.7 (a link, a bookmark, a test)
  const given = new URLSearchParams(window.location.search);
  if (given.has('filter')) $('filter').value = given.get('filter');
  if (given.has('limit')) {
    const option = el('option', given.get('limit'));
    $('limit').appendChild(option);
    $('limit').value = given.get('limit');
  }
  if (given.has('offset')) offset = Math.max(0, Number(given.get('offset')) || 0);
  refresh();
}());
