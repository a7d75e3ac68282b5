namespace CartCall.LocalCloud.Acs;

/// <summary>The stand-in's page: calls, their timelines, and buttons to act as a party (plain HTML + JS).</summary>
internal static class AcsStandInPage
{
    public const string Html = """
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>ACS stand-in — calls</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 1.5rem; color: #222; }
  h1 { font-size: 1.3rem; }
  .call { border: 1px solid #ccc; border-radius: 6px; padding: .75rem 1rem; margin-bottom: 1rem; }
  .state { font-weight: 600; }
  .party { margin: .3rem 0; }
  .party button { margin-left: .3rem; }
  ol { margin: .4rem 0 0 1.2rem; padding: 0; color: #555; font-size: 12px; }
  .empty { color: #777; }
  code { background: #f4f4f4; padding: 0 .2rem; }
</style>
</head>
<body>
<h1>ACS stand-in — calls</h1>
<p>Parties scripted as <code>Manual</code> ring here until you answer or decline. Keys reach the app only while it listens for DTMF.</p>
<div id="calls"><p class="empty">No calls yet.</p></div>
<script>
const root = document.getElementById('calls');
async function act(callId, partyId, action, keys) {
  const q = keys ? '?keys=' + encodeURIComponent(keys) : '';
  const r = await fetch(`/_standin/calls/${encodeURIComponent(callId)}/parties/${encodeURIComponent(partyId)}/${action}${q}`, { method: 'POST' });
  if (!r.ok) alert((await r.json()).detail || r.status);
  refresh();
}
function button(label, onClick) {
  const b = document.createElement('button');
  b.textContent = label;
  b.onclick = onClick;
  return b;
}
function render(calls) {
  root.replaceChildren();
  if (calls.length === 0) { root.innerHTML = '<p class="empty">No calls yet.</p>'; return; }
  for (const c of calls.slice().reverse()) {
    const div = document.createElement('div');
    div.className = 'call';
    const head = document.createElement('div');
    head.innerHTML = `<span class="state"></span> · call <code></code> · context <code></code>`;
    head.querySelector('.state').textContent = c.state;
    head.querySelectorAll('code')[0].textContent = c.callConnectionId;
    head.querySelectorAll('code')[1].textContent = c.operationContext ?? '';
    div.appendChild(head);
    for (const p of c.parties) {
      const row = document.createElement('div');
      row.className = 'party';
      row.textContent = `${p.role === 'target' ? 'shopper' : 'agent'} ${p.label}: ${p.state}${p.recognizing ? ' (app listening for keys)' : ''}`;
      if (p.state === 'Ringing') {
        row.appendChild(button('Answer', () => act(c.callConnectionId, p.rawId, 'answer')));
        row.appendChild(button('Decline', () => act(c.callConnectionId, p.rawId, 'decline')));
      } else if (p.state === 'Connected') {
        row.appendChild(button('Hang up', () => act(c.callConnectionId, p.rawId, 'hangup')));
        for (const k of ['1','2','3','4','5','6','7','8','9','0','*','#'])
          row.appendChild(button(k, () => act(c.callConnectionId, p.rawId, 'dtmf', k)));
      }
      div.appendChild(row);
    }
    const ol = document.createElement('ol');
    for (const t of c.timeline) {
      const li = document.createElement('li');
      li.textContent = `${new Date(t.at).toLocaleTimeString()} ${t.text}`;
      ol.appendChild(li);
    }
    div.appendChild(ol);
    root.appendChild(div);
  }
}
async function refresh() {
  try { render(await (await fetch('/_standin/calls')).json()); } catch (e) { /* stand-in stopping */ }
}
refresh();
setInterval(refresh, 1000);
</script>
</body>
</html>
""";
}
