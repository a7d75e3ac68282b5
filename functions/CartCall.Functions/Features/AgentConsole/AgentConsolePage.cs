namespace CartCall.Functions.Features.AgentConsole;

/// <summary>The console's markup and script. Text from the server is always set with textContent, never as HTML.</summary>
internal static class AgentConsolePage
{
    public const string Html = """
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>CartCall agent console</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px system-ui, sans-serif; margin: 1.5rem; color: #222; }
  fieldset { border: 1px solid #ccc; margin-bottom: 1rem; }
  label { display: inline-block; margin: .25rem 1rem .25rem 0; }
  input[type=text], input[type=password] { width: 14rem; }
  table { border-collapse: collapse; width: 100%; }
  th, td { border-bottom: 1px solid #ddd; padding: .35rem; text-align: left; vertical-align: top; }
  .status-ringing, .status-queued { background: #fff7d6; }
  .status-connected { background: #dff5e1; }
  .status-ended, .status-failed { color: #777; }
  #live { font-weight: bold; }
  ul { margin: 0; padding-left: 1.1rem; }
</style>
</head>
<body>
<h1>CartCall agent console</h1>
<fieldset>
  <legend>Who you are</legend>
  <label>Merchant id <input id="merchant" type="text" autocomplete="off"></label>
  <label>Key <input id="key" type="password" autocomplete="off"></label>
  <label>Agent id <input id="agent" type="text" autocomplete="off"></label>
  <label>Name <input id="name" type="text"></label>
  <label>Phone (E.164) <input id="phone" type="text" placeholder="+14255550123"></label>
  <label>ACS user id <input id="acsUser" type="text" placeholder="8:acs:…"></label>
  <label>Priority <input id="priority" type="number" value="0" style="width:4rem"></label>
</fieldset>
<fieldset>
  <legend>Availability</legend>
  <label><input id="available" type="checkbox"> I can take calls</label>
  <button id="save">Save</button>
  <span id="saved" role="status"></span>
</fieldset>
<p>Live updates: <span id="live">off</span> <button id="connect">Connect</button></p>
<table>
  <thead><tr><th>Call</th><th>Status</th><th>Mode</th><th>Agent</th><th>Cart</th><th>Score and reasons</th><th>Since</th></tr></thead>
  <tbody id="calls"></tbody>
</table>
<script>
(() => {
  const $ = id => document.getElementById(id);
  const fields = ['merchant', 'agent', 'name', 'phone', 'acsUser', 'priority'];
  for (const f of fields) { $(f).value = localStorage.getItem('cc.agent.' + f) ?? $(f).value; }
  $('key').value = sessionStorage.getItem('cc.agent.key') ?? '';
  const remember = () => {
    for (const f of fields) localStorage.setItem('cc.agent.' + f, $(f).value);
    sessionStorage.setItem('cc.agent.key', $('key').value);
  };
  const api = async (method, path, body) => {
    const r = await fetch(path, {
      method,
      headers: { 'x-cartcall-admin-key': $('key').value, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = r.headers.get('content-type')?.includes('json') ? await r.json() : null;
    if (!r.ok) throw new Error(json?.detail ?? ('HTTP ' + r.status));
    return json;
  };
  const m = () => encodeURIComponent($('merchant').value.trim());

  $('save').onclick = async () => {
    remember();
    try {
      const agent = {
        displayName: $('name').value || $('agent').value,
        available: $('available').checked,
        phoneNumber: $('phone').value.trim() || null,
        acsUserId: $('acsUser').value.trim() || null,
        priority: Number($('priority').value) || 0,
      };
      const saved = await api('PUT', `/api/merchants/${m()}/agents/${encodeURIComponent($('agent').value.trim())}`, agent);
      $('saved').textContent = saved.available ? 'Available' : 'Away';
    } catch (e) { $('saved').textContent = e.message; }
  };

  const calls = new Map();
  const cell = (tr, text) => { const td = document.createElement('td'); td.textContent = text ?? ''; tr.appendChild(td); return td; };
  const render = () => {
    const body = $('calls');
    body.replaceChildren();
    const rows = [...calls.values()].sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
    for (const c of rows) {
      const tr = document.createElement('tr');
      tr.className = 'status-' + c.status;
      tr.dataset.callId = c.callId;
      cell(tr, c.callId);
      cell(tr, c.status + (c.phase && c.phase !== 'none' ? ' / ' + c.phase : '') + (c.outcome ? ' (' + c.outcome + ')' : ''));
      cell(tr, c.mode);
      cell(tr, c.agentId ?? c.currentAgentId ?? '');
      const cart = cell(tr, '');
      if (c.cart) {
        const ul = document.createElement('ul');
        for (const i of c.cart.items ?? []) {
          const li = document.createElement('li');
          li.textContent = `${i.quantity} × ${i.title ?? i.sku} @ ${i.unitPrice}`;
          ul.appendChild(li);
        }
        cart.appendChild(ul);
        cart.appendChild(document.createTextNode(`Total ${c.cart.value} ${c.cart.currency}`));
      }
      const why = cell(tr, c.cart ? `score ${Number(c.cart.score).toFixed(2)} ${c.cart.state ?? ''}` : '');
      if (c.cart?.reasons?.length) {
        const ul = document.createElement('ul');
        for (const r of c.cart.reasons) { const li = document.createElement('li'); li.textContent = r; ul.appendChild(li); }
        why.appendChild(ul);
      }
      cell(tr, c.connectedAt ?? c.scheduledFor ?? c.createdAt);
      body.appendChild(tr);
    }
  };
  const upsert = c => { if (c?.callId) { calls.set(c.callId, c); render(); } };

  const poll = async () => {
    if (!$('merchant').value || !$('key').value) return;
    try {
      const list = await api('GET', `/api/merchants/${m()}/calls?status=active`);
      for (const c of list.calls) upsert(c);
    } catch { /* the next poll tries again */ }
  };

  let socket = null;
  $('connect').onclick = async () => {
    remember();
    try {
      const n = await api('POST', `/api/merchants/${m()}/agents/push`);
      socket?.close();
      socket = new WebSocket(n.url, 'json.webpubsub.azure.v1');
      socket.onopen = () => { $('live').textContent = 'on'; };
      socket.onclose = () => { $('live').textContent = 'off (polling)'; };
      socket.onmessage = ev => {
        const frame = JSON.parse(ev.data);
        if (frame.type === 'message' && frame.data?.kind === 'call') upsert(frame.data.call);
      };
      await poll();
    } catch (e) { $('live').textContent = 'failed: ' + e.message; }
  };

  setInterval(() => { if (!socket || socket.readyState !== WebSocket.OPEN) poll(); }, 5000);
})();
</script>
</body>
</html>
""";
}
