namespace CartCall.Functions.Features.Experiments;

/// <summary>
/// The merchant's results page: markup, style and a small script that draws its plots as SVG (no library, no CDN).
/// Text from the server is always set with textContent, never as HTML. The admin key lives in sessionStorage only and
/// travels in the request header, never in a URL.
/// </summary>
internal static class ResultsPage
{
    public const string Html = """
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>CartCall results</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  :root { --t: #2563eb; --c: #8b95a5; --pos: #15803d; --neg: #b91c1c; --ink: #1f2937; --muted: #6b7280; --line: #e5e7eb; }
  * { box-sizing: border-box; }
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: var(--ink); background: #f8fafc; }
  header { background: #fff; border-bottom: 1px solid var(--line); padding: 1rem 1.5rem; }
  h1 { font-size: 1.25rem; margin: 0 0 .75rem; }
  h1 small { color: var(--muted); font-weight: normal; }
  h2 { font-size: 1rem; margin: 0 0 .25rem; }
  main { padding: 1.25rem 1.5rem 2rem; max-width: 1200px; }
  form { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: end; }
  label { display: flex; flex-direction: column; font-size: .8rem; color: var(--muted); gap: .15rem; }
  input, select, button { font: inherit; padding: .35rem .5rem; border: 1px solid #cbd5e1; border-radius: 6px; background: #fff; color: var(--ink); }
  button { cursor: pointer; }
  button.primary { background: var(--t); color: #fff; border-color: var(--t); }
  #status { margin: .75rem 0 0; min-height: 1.2em; }
  #status.error { color: var(--neg); }
  .note { background: #fff7ed; border: 1px solid #fed7aa; border-radius: 8px; padding: .5rem .75rem; margin-bottom: 1rem; }
  .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(200px, 1fr)); gap: .75rem; margin-bottom: 1rem; }
  .card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: .75rem .9rem; }
  .card .label { color: var(--muted); font-size: .78rem; }
  .card .value { font-size: 1.35rem; font-weight: 600; margin-top: .1rem; }
  .card .sub { color: var(--muted); font-size: .78rem; }
  .pos { color: var(--pos); } .neg { color: var(--neg); }
  .panels { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 1rem; }
  .panel { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: .9rem 1rem; }
  .panel p { margin: 0 0 .5rem; color: var(--muted); font-size: .8rem; }
  svg { display: block; width: 100%; height: auto; }
  svg text { font: 12px system-ui, sans-serif; fill: var(--ink); }
  svg .axis { stroke: #9ca3af; stroke-width: 1; }
  svg .grid { stroke: var(--line); stroke-width: 1; }
  svg .muted { fill: var(--muted); }
  table { border-collapse: collapse; width: 100%; background: #fff; font-variant-numeric: tabular-nums; }
  th, td { border-bottom: 1px solid var(--line); padding: .35rem .5rem; text-align: right; white-space: nowrap; }
  th:first-child, td:first-child { text-align: left; }
  .legend { display: flex; gap: 1rem; font-size: .8rem; color: var(--muted); margin-bottom: .25rem; }
  .swatch { display: inline-block; width: .8rem; height: .8rem; border-radius: 2px; vertical-align: -1px; margin-right: .3rem; }
  #content[hidden] { display: none; }
  .foot { color: var(--muted); font-size: .78rem; margin-top: 1rem; }
</style>
</head>
<body>
<header>
  <h1>CartCall results <small id="merchant"></small></h1>
  <form id="query">
    <label>Admin key <input id="key" type="password" autocomplete="off" required></label>
    <label>From <input id="from" type="date"></label>
    <label>To <input id="to" type="date"></label>
    <label>Per <select id="bucket"><option value="day">day</option><option value="week">week</option></select></label>
    <button class="primary" type="submit" id="load">Show results</button>
    <button type="button" id="csv" disabled>Download CSV</button>
    <button type="button" id="json" disabled>Download JSON</button>
  </form>
  <div id="status" role="status" aria-live="polite"></div>
</header>
<main id="content" hidden>
  <div id="notes"></div>
  <div class="cards" id="cards"></div>
  <div class="panels">
    <section class="panel" aria-labelledby="conv-title">
      <h2 id="conv-title">Conversion: treatment against control</h2>
      <p>Sessions the policy chose to offer. Treatment saw the offer; control (the holdout) did not. Bars are 95% intervals
        (Wilson for each arm, Newcombe for the difference).</p>
      <svg id="conversion" viewBox="0 0 560 210" role="img" aria-label="Conversion in treatment and control with 95% intervals"></svg>
    </section>
    <section class="panel" aria-labelledby="margin-title">
      <h2 id="margin-title">Incremental margin over time</h2>
      <div class="legend"><span><span class="swatch" style="background:#93c5fd"></span>per period, with 95% interval</span>
        <span><span class="swatch" style="background:#1d4ed8"></span>running total</span></div>
      <svg id="margin" viewBox="0 0 560 240" role="img" aria-label="Incremental margin per period with intervals, and its running total"></svg>
    </section>
    <section class="panel" aria-labelledby="funnel-title">
      <h2 id="funnel-title">Funnel</h2>
      <p>Offers decided in both arms; the control's are withheld. The rest is the treatment arm.</p>
      <svg id="funnel" viewBox="0 0 560 230" role="img" aria-label="Funnel from offers to shown, accepted, connected and converted"></svg>
    </section>
    <section class="panel" aria-labelledby="conv-time-title">
      <h2 id="conv-time-title">Conversion over time</h2>
      <div class="legend"><span><span class="swatch" style="background:var(--t)"></span>treatment</span>
        <span><span class="swatch" style="background:var(--c)"></span>control</span></div>
      <svg id="convtime" viewBox="0 0 560 240" role="img" aria-label="Conversion per period in treatment and control"></svg>
    </section>
  </div>
  <h2 style="margin-top:1.25rem">Per period</h2>
  <div style="overflow-x:auto"><table id="table"><thead></thead><tbody></tbody></table></div>
  <p class="foot" id="foot"></p>
</main>
<script>
(() => {
  const $ = id => document.getElementById(id);
  const SVG = 'http://www.w3.org/2000/svg';
  const merchant = decodeURIComponent(location.pathname.split('/').slice(-3, -2)[0] || '');
  $('merchant').textContent = merchant;
  $('key').value = sessionStorage.getItem('cc.results.key') || '';
  const today = new Date();
  const iso = d => d.toISOString().slice(0, 10);
  $('to').value = iso(today);
  $('from').value = iso(new Date(today.getTime() - 29 * 86400000));
  let last = null;

  const query = () => new URLSearchParams({ from: $('from').value, to: $('to').value, bucket: $('bucket').value }).toString();
  const api = async (suffix, accept) => {
    const response = await fetch('/api/merchants/' + encodeURIComponent(merchant) + suffix + '?' + query(), {
      headers: { 'x-cartcall-admin-key': $('key').value, 'accept': accept }, cache: 'no-store' });
    if (!response.ok) {
      let detail = response.status + ' ' + response.statusText;
      try { const p = await response.json(); detail = (p.detail || p.title || detail) + (p.errors ? ' ' + p.errors.join(' ') : ''); } catch { }
      throw new Error(response.status === 401 ? 'The admin key was refused.' : detail);
    }
    return response;
  };
  const status = (text, error) => { $('status').textContent = text; $('status').className = error ? 'error' : ''; };

  $('query').addEventListener('submit', async e => {
    e.preventDefault();
    sessionStorage.setItem('cc.results.key', $('key').value);
    status('Loading…');
    try {
      last = await (await api('/results', 'application/json')).json();
      render(last);
      $('csv').disabled = $('json').disabled = false;
      status('Updated ' + new Date(last.asOf).toLocaleString());
    } catch (err) { status(err.message, true); }
  });
  const download = (name, blob) => {
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url; a.download = name; document.body.appendChild(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  $('csv').addEventListener('click', async () => {
    try { download(`cartcall-results-${merchant}.csv`, await (await api('/results.csv', 'text/csv')).blob()); }
    catch (err) { status(err.message, true); }
  });
  $('json').addEventListener('click', () => {
    if (last) download(`cartcall-results-${merchant}.json`, new Blob([JSON.stringify(last, null, 2)], { type: 'application/json' }));
  });

  const num = v => (typeof v === 'number' && isFinite(v)) ? v : null;
  const pct = (v, d = 1) => num(v) === null ? '–' : (v * 100).toFixed(d) + '%';
  const pp = v => num(v) === null ? '–' : (v >= 0 ? '+' : '') + (v * 100).toFixed(1) + ' pp';
  let money = v => num(v) === null ? '–' : v.toFixed(0);
  const range = (e, f) => `[${f(e.lower)}, ${f(e.upper)}]`;
  const el = (parent, name, attrs = {}, text) => {
    const node = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    parent.appendChild(node);
    return node;
  };
  const clear = node => { while (node.firstChild) node.firstChild.remove(); };

  function card(label, value, sub, tone) {
    const c = document.createElement('div'); c.className = 'card';
    const l = document.createElement('div'); l.className = 'label'; l.textContent = label;
    const v = document.createElement('div'); v.className = 'value' + (tone ? ' ' + tone : ''); v.textContent = value;
    c.append(l, v);
    if (sub) { const s = document.createElement('div'); s.className = 'sub'; s.textContent = sub; c.append(s); }
    return c;
  }
  const tone = e => e && num(e.lower) !== null && e.lower > 0 ? 'pos' : (e && num(e.upper) !== null && e.upper < 0 ? 'neg' : '');

  function render(doc) {
    const fmt = new Intl.NumberFormat(undefined, { style: 'currency', currency: doc.currency, maximumFractionDigits: 0 });
    money = v => num(v) === null ? '–' : fmt.format(v);
    const r = doc.total;
    $('content').hidden = false;
    const notes = $('notes'); notes.replaceChildren();
    const note = text => { const n = document.createElement('div'); n.className = 'note'; n.textContent = text; notes.append(n); };
    if (!r.sufficient) note(`Fewer than 30 sessions in an arm (treatment ${r.treatment.sessions}, control ${r.control.sessions}): the intervals are shown, but read them as a sketch, not as evidence.`);
    if (r.maturing > 0) note(`${r.maturing} sessions are still inside the ${doc.attributionWindowHours} h attribution window: their orders may yet come.`);

    const cards = $('cards'); cards.replaceChildren(
      card('Conversion, treatment / control', `${pct(r.treatment.conversion.value)} / ${pct(r.control.conversion.value)}`,
        `${r.treatment.conversions} of ${r.treatment.sessions} / ${r.control.conversions} of ${r.control.sessions} sessions`),
      card('Uplift in conversion', pp(r.conversionDifference.value), '95% ' + range(r.conversionDifference, pp), tone(r.conversionDifference)),
      card('Incremental margin', money(r.incrementalMargin.value), '95% ' + range(r.incrementalMargin, money), tone(r.incrementalMargin)),
      card('Net of call cost', money(r.netIncrementalMargin.value), '95% ' + range(r.netIncrementalMargin, money), tone(r.netIncrementalMargin)),
      card('Calls and their cost', `${r.calls} · ${money(r.callCost)}`,
        'return on call cost ' + (num(r.returnOnCallCost) === null ? '–' : r.returnOnCallCost.toFixed(1) + '×')),
      card('Acceptance rate', pct(r.acceptanceRate), `holdout ${pct(doc.holdoutShare, 0)} of sessions`));

    drawConversion(r);
    drawMargin(doc);
    drawFunnel(r.funnel);
    drawConversionOverTime(doc);
    drawTable(doc);
    $('foot').textContent = `${doc.from} to ${doc.to} (${doc.timeZone}), per ${doc.bucket}. Sessions enter at their first decision to offer; ` +
      `an order counts when it completes within ${doc.attributionWindowHours} h of it. Any uplift is only as good as the holdout it is measured on.`;
  }

  function drawConversion(r) {
    const svg = $('conversion'); clear(svg);
    const rows = [
      { label: 'Treatment', e: r.treatment.conversion, color: 'var(--t)', n: r.treatment.sessions },
      { label: 'Control', e: r.control.conversion, color: 'var(--c)', n: r.control.sessions },
    ];
    const maxUpper = Math.max(0.05, ...rows.map(x => num(x.e.upper) ?? 0));
    const top = Math.min(1, Math.ceil(maxUpper * 10) / 10 + 0.05);
    const x0 = 100, x1 = 520, scale = v => x0 + (x1 - x0) * Math.max(0, Math.min(top, v)) / top;
    for (let t = 0; t <= 4; t++) {
      const v = top * t / 4, x = scale(v);
      el(svg, 'line', { x1: x, x2: x, y1: 10, y2: 110, class: 'grid' });
      el(svg, 'text', { x, y: 124, 'text-anchor': 'middle', class: 'muted' }, (v * 100).toFixed(0) + '%');
    }
    rows.forEach((row, i) => {
      const y = 35 + i * 45;
      el(svg, 'text', { x: 0, y: y + 4 }, row.label);
      if (num(row.e.lower) !== null && num(row.e.upper) !== null) {
        el(svg, 'line', { x1: scale(row.e.lower), x2: scale(row.e.upper), y1: y, y2: y, stroke: row.color, 'stroke-width': 6, 'stroke-linecap': 'round', opacity: 0.35 });
      }
      el(svg, 'circle', { cx: scale(row.e.value), cy: y, r: 7, fill: row.color });
      el(svg, 'text', { x: scale(row.e.value), y: y - 12, 'text-anchor': 'middle' }, `${pct(row.e.value)}  (n=${row.n})`);
    });
    // The difference, on its own axis centred on zero.
    const d = r.conversionDifference, yd = 175;
    const span = Math.max(0.02, ...[d.lower, d.upper, d.value].map(v => Math.abs(num(v) ?? 0))) * 1.15;
    const dx = v => 310 + 210 * Math.max(-span, Math.min(span, v)) / span;
    el(svg, 'text', { x: 0, y: yd + 4 }, 'Difference');
    el(svg, 'line', { x1: 100, x2: 520, y1: yd, y2: yd, class: 'axis' });
    el(svg, 'line', { x1: dx(0), x2: dx(0), y1: yd - 14, y2: yd + 14, class: 'axis' });
    el(svg, 'text', { x: dx(0), y: yd + 28, 'text-anchor': 'middle', class: 'muted' }, '0');
    if (num(d.lower) !== null && num(d.upper) !== null) {
      const color = d.lower > 0 ? 'var(--pos)' : d.upper < 0 ? 'var(--neg)' : '#6b7280';
      el(svg, 'line', { x1: dx(d.lower), x2: dx(d.upper), y1: yd, y2: yd, stroke: color, 'stroke-width': 6, 'stroke-linecap': 'round', opacity: 0.45 });
      el(svg, 'circle', { cx: dx(d.value), cy: yd, r: 7, fill: color });
      el(svg, 'text', { x: dx(d.value), y: yd - 12, 'text-anchor': 'middle' }, `${pp(d.value)}  ${range(d, pp)}`);
    }
  }

  function drawMargin(doc) {
    const svg = $('margin'); clear(svg);
    const series = doc.series.map(p => ({ label: p.from.slice(5), e: p.report.incrementalMargin }));
    let running = 0;
    const totals = series.map(p => (running += num(p.e.value) ?? 0));
    const values = series.flatMap(p => [p.e.value, p.e.lower, p.e.upper]).concat(totals).map(num).filter(v => v !== null);
    let lo = Math.min(0, ...values), hi = Math.max(0, ...values);
    if (hi - lo < 1) { hi += 1; }
    const pad = (hi - lo) * 0.08; lo -= pad; hi += pad;
    const x0 = 60, x1 = 550, y0 = 200, y1 = 12;
    const y = v => y0 - (y0 - y1) * (Math.max(lo, Math.min(hi, v)) - lo) / (hi - lo);
    const step = (x1 - x0) / Math.max(1, series.length);
    for (let t = 0; t <= 4; t++) {
      const v = lo + (hi - lo) * t / 4;
      el(svg, 'line', { x1: x0, x2: x1, y1: y(v), y2: y(v), class: 'grid' });
      el(svg, 'text', { x: x0 - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'muted' }, money(v));
    }
    el(svg, 'line', { x1: x0, x2: x1, y1: y(0), y2: y(0), class: 'axis' });
    const every = Math.ceil(series.length / 10);
    series.forEach((p, i) => {
      const cx = x0 + step * (i + 0.5), w = Math.max(2, step * 0.6);
      const v = num(p.e.value) ?? 0;
      el(svg, 'rect', { x: cx - w / 2, y: Math.min(y(v), y(0)), width: w, height: Math.max(1, Math.abs(y(v) - y(0))), fill: v >= 0 ? '#93c5fd' : '#fca5a5' });
      if (num(p.e.lower) !== null && num(p.e.upper) !== null) {
        el(svg, 'line', { x1: cx, x2: cx, y1: y(p.e.lower), y2: y(p.e.upper), stroke: '#374151', 'stroke-width': 1 });
        el(svg, 'line', { x1: cx - w / 4, x2: cx + w / 4, y1: y(p.e.lower), y2: y(p.e.lower), stroke: '#374151' });
        el(svg, 'line', { x1: cx - w / 4, x2: cx + w / 4, y1: y(p.e.upper), y2: y(p.e.upper), stroke: '#374151' });
      }
      if (i % every === 0) el(svg, 'text', { x: cx, y: y0 + 16, 'text-anchor': 'middle', class: 'muted' }, p.label);
    });
    if (series.length > 0) {
      const points = totals.map((t, i) => `${x0 + step * (i + 0.5)},${y(t)}`).join(' ');
      el(svg, 'polyline', { points, fill: 'none', stroke: '#1d4ed8', 'stroke-width': 2.5 });
      totals.forEach((t, i) => el(svg, 'circle', { cx: x0 + step * (i + 0.5), cy: y(t), r: 2.5, fill: '#1d4ed8' }));
      el(svg, 'text', { x: x1, y: Math.max(y1 + 10, y(totals[totals.length - 1]) - 8), 'text-anchor': 'end' }, 'total ' + money(totals[totals.length - 1]));
    }
  }

  function drawFunnel(f) {
    const svg = $('funnel'); clear(svg);
    const steps = [
      { label: 'Offers (both arms)', n: f.offers, color: '#1e3a8a' },
      { label: 'Withheld (control)', n: f.withheld, color: 'var(--c)', side: true },
      { label: 'Shown', n: f.shown, color: '#1d4ed8' },
      { label: 'Accepted', n: f.accepted, color: '#2563eb' },
      { label: 'Connected', n: f.connected, color: '#3b82f6' },
      { label: 'Converted', n: f.converted, color: '#15803d' },
    ];
    const max = Math.max(1, f.offers);
    const x0 = 140, x1 = 470;
    let previous = null;
    steps.forEach((s, i) => {
      const yy = 10 + i * 36, w = (x1 - x0) * s.n / max;
      el(svg, 'text', { x: 0, y: yy + 17 }, s.label);
      el(svg, 'rect', { x: x0, y: yy, width: x1 - x0, height: 24, fill: '#f1f5f9', rx: 4 });
      el(svg, 'rect', { x: x0, y: yy, width: Math.max(s.n > 0 ? 2 : 0, w), height: 24, fill: s.color, rx: 4 });
      const share = s.side ? (f.offers > 0 ? ' · ' + pct(s.n / f.offers, 0) + ' of offers' : '')
        : previous !== null && previous > 0 ? ' · ' + pct(s.n / previous, 0) : '';
      el(svg, 'text', { x: x1 + 6, y: yy + 17 }, `${s.n}${share}`);
      if (!s.side) previous = i === 0 ? f.offers - f.withheld : s.n;
    });
  }

  function drawConversionOverTime(doc) {
    const svg = $('convtime'); clear(svg);
    const pts = doc.series.map(p => ({ label: p.from.slice(5), t: p.report.treatment.conversion, c: p.report.control.conversion,
      nt: p.report.treatment.sessions, nc: p.report.control.sessions }));
    const x0 = 50, x1 = 550, y0 = 200, y1 = 12;
    const hi = Math.min(1, Math.max(0.05, ...pts.flatMap(p => [p.nt ? p.t.upper : 0, p.nc ? p.c.upper : 0])) * 1.05);
    const y = v => y0 - (y0 - y1) * Math.max(0, Math.min(hi, v)) / hi;
    const step = (x1 - x0) / Math.max(1, pts.length);
    for (let t = 0; t <= 4; t++) {
      const v = hi * t / 4;
      el(svg, 'line', { x1: x0, x2: x1, y1: y(v), y2: y(v), class: 'grid' });
      el(svg, 'text', { x: x0 - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'muted' }, (v * 100).toFixed(0) + '%');
    }
    const every = Math.ceil(pts.length / 10);
    for (const [key, n, color, shift] of [['c', 'nc', '#8b95a5', -0.12], ['t', 'nt', '#2563eb', 0.12]]) {
      const line = [];
      pts.forEach((p, i) => {
        if (!p[n]) return;
        const cx = x0 + step * (i + 0.5 + shift);
        el(svg, 'line', { x1: cx, x2: cx, y1: y(p[key].lower), y2: y(p[key].upper), stroke: color, 'stroke-width': 3, opacity: 0.35 });
        el(svg, 'circle', { cx, cy: y(p[key].value), r: 3.5, fill: color });
        line.push(`${cx},${y(p[key].value)}`);
      });
      if (line.length > 1) el(svg, 'polyline', { points: line.join(' '), fill: 'none', stroke: color, 'stroke-width': 1.5 });
    }
    pts.forEach((p, i) => { if (i % every === 0) el(svg, 'text', { x: x0 + step * (i + 0.5), y: y0 + 16, 'text-anchor': 'middle', class: 'muted' }, p.label); });
  }

  function drawTable(doc) {
    const head = ['Period', 'Treatment', 'Control', 'Conv. T', 'Conv. C', 'Uplift', 'Incr. margin', 'Offers', 'Shown', 'Accepted', 'Connected', 'Converted', 'Call cost'];
    const thead = $('table').tHead; thead.replaceChildren();
    const hr = thead.insertRow(); for (const h of head) { const th = document.createElement('th'); th.textContent = h; hr.append(th); }
    const body = $('table').tBodies[0]; body.replaceChildren();
    const row = (label, r) => {
      const tr = body.insertRow();
      for (const v of [label, r.treatment.sessions, r.control.sessions, pct(r.treatment.conversion.value), pct(r.control.conversion.value),
        pp(r.conversionDifference.value), money(r.incrementalMargin.value), r.funnel.offers, r.funnel.shown, r.funnel.accepted,
        r.funnel.connected, r.funnel.converted, money(r.callCost)]) tr.insertCell().textContent = v;
      return tr;
    };
    for (const p of doc.series) row(p.from === p.to ? p.from : `${p.from} – ${p.to}`, p.report);
    row('Total', doc.total).style.fontWeight = '600';
  }

  if ($('key').value) $('query').requestSubmit();
})();
</script>
</body>
</html>
""";
}
