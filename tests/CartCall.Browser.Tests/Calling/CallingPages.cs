namespace CartCall.Browser.Tests.Calling;

/// <summary>The test pages the stub serves, and the listening harness every page of these tests gets.</summary>
public static class CallingPages
{
    /// <summary>
    /// Injected before any page script: records every remote WebRTC stream and measures it with a Web Audio analyser
    /// (fftSize 8192, no smoothing, a muted audio element as well, else the analyser reads zeros). <c>__band(hz)</c>
    /// is the power in ±25 Hz around hz, in dB, averaged over 10 frames; <c>__heardAt</c> is when a frame first had
    /// the expected tone (<c>__expectHz</c>) above −70 dB: the first non-silent frame of the other side.
    /// <c>__diagnose()</c> describes every connection (states, tracks, RTP counters) for a test whose tone never came.
    /// </summary>
    public const string ListeningHarness = """
        (() => {
          const Native = window.RTCPeerConnection;
          if (!Native) return;
          let ctx = null, analyser = null, bins = null;
          window.__heardAt = 0;
          window.__expectHz = 0;
          function listen(stream) {
            ctx = ctx || new AudioContext();
            const el = new Audio();
            el.srcObject = stream;
            el.muted = true;
            el.play().catch(() => {});
            analyser = ctx.createAnalyser();
            analyser.fftSize = 8192;
            analyser.smoothingTimeConstant = 0;
            ctx.createMediaStreamSource(stream).connect(analyser);
            bins = new Float32Array(analyser.frequencyBinCount);
            window.__heardAt = 0;
            const watch = setInterval(() => {
              if (!window.__expectHz) return;
              if (bandNow(window.__expectHz) > -70) { window.__heardAt = Date.now(); clearInterval(watch); }
            }, 5);
          }
          function bandNow(hz) {
            analyser.getFloatFrequencyData(bins);
            const binHz = ctx.sampleRate / analyser.fftSize;
            let power = 0, n = 0;
            for (let i = Math.floor((hz - 25) / binHz); i <= Math.ceil((hz + 25) / binHz); i++) { power += Math.pow(10, bins[i] / 10); n++; }
            return Math.max(-200, 10 * Math.log10(power / n));
          }
          window.__band = async (hz) => {
            if (!analyser) return -200;
            let power = 0;
            for (let f = 0; f < 10; f++) {
              power += Math.pow(10, bandNow(hz) / 10);
              await new Promise((r) => setTimeout(r, 60));
            }
            return Math.max(-200, 10 * Math.log10(power / 10));
          };
          // Every connection and the analyser's context, for a test's diagnostics when a tone never arrives.
          window.__pcs = [];
          window.__audioState = () => (ctx ? ctx.state : 'none');
          window.RTCPeerConnection = function (...args) {
            const pc = new Native(...args);
            window.__pcs.push(pc);
            pc.addEventListener('track', (e) => listen(e.streams[0] || new MediaStream([e.track])));
            return pc;
          };
          window.RTCPeerConnection.prototype = Native.prototype;
          window.__diagnose = async () => JSON.stringify({
            audio: window.__audioState(),
            pcs: await Promise.all(window.__pcs.map(async (pc) => {
              const rtp = [];
              (await pc.getStats()).forEach((x) => {
                if (x.type === 'inbound-rtp' || x.type === 'outbound-rtp' || (x.type === 'candidate-pair' && x.nominated)) {
                  rtp.push({ type: x.type, kind: x.kind, state: x.state, packetsReceived: x.packetsReceived, packetsSent: x.packetsSent,
                    bytesReceived: x.bytesReceived, bytesSent: x.bytesSent, audioLevel: x.audioLevel });
                }
              });
              return { connection: pc.connectionState, ice: pc.iceConnectionState, signaling: pc.signalingState,
                receivers: pc.getReceivers().map((r) => ({ kind: r.track.kind, state: r.track.readyState, muted: r.track.muted })), rtp };
            })),
          });
        })();
        """;

    private const string Head = """
        <meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
        <style>body{font:16px/1.5 system-ui,sans-serif;margin:24px;color:#222}button{font:inherit;padding:8px 14px;margin-right:8px}
        .cc-agent{max-width:520px;border:1px solid #ccc;border-radius:8px;padding:16px}.cc-facts{display:grid;grid-template-columns:auto 1fr;gap:4px 12px}
        .cc-facts dd{margin:0;overflow-wrap:anywhere}</style>
        """;

    /// <summary>A store page with the widget (voice processing off, so the test tones pass unchanged).</summary>
    public static string Shop(string lang) => $$"""
        <!doctype html><html lang="{{lang}}"><head>{{Head}}<title>Voice test store</title></head>
        <body><h1>Voice test store</h1><p>Checkout: Barista Pro espresso machine.</p>
        <script src="/api/widget.js" data-merchant="{{StubCartCallApp.MerchantId}}" data-publishable-key="{{StubCartCallApp.PublishableKey}}"
          data-language="{{lang}}" data-voice-processing="off" async></script>
        </body></html>
        """;

    /// <summary>The agent's calling component on a bare page: <c>startAgent(options)</c> mounts it.</summary>
    public const string Agent = $$"""
        <!doctype html><html lang="en"><head>{{Head}}<title>Agent calls</title>
        <script src="/api/widget-calling.js"></script><script src="/api/agent-calling.js"></script></head>
        <body><h1>Agent</h1><main id="phone"></main>
        <script>window.startAgent = (o) => { window.phone = CartCallAgentCalling.mount(document.getElementById('phone'), o); return window.phone.ready; };</script>
        </body></html>
        """;

    /// <summary>A page that answers every call at once with the local adapter (for the latency measurement).</summary>
    public const string Softphone = $$"""
        <!doctype html><html lang="en"><head>{{Head}}<title>Softphone</title><script src="/api/widget-calling.js"></script></head>
        <body><p id="state">idle</p>
        <script>
          window.startPhone = async (o) => {
            const a = await CartCallCalling.createAdapter('local', o);
            a.on('incoming', async (inc) => {
              const call = await inc.accept();
              window.phoneCall = call;
              document.getElementById('state').textContent = call.state;
              call.on('state', (s) => { document.getElementById('state').textContent = s; });
            });
            return a.ready;
          };
        </script></body></html>
        """;

    /// <summary>Loads the acs adapter's bundle (the Calling SDK) and nothing else.</summary>
    public const string AcsProbe = $$"""
        <!doctype html><html lang="en"><head>{{Head}}<title>ACS probe</title><script src="/api/widget-calling-acs.js"></script></head>
        <body><p>Calling SDK bundle loaded.</p></body></html>
        """;
}
