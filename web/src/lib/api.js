// The console talks only to BPCI's own API (same origin): JSON over HTTP and one live WebSocket.

export class ApiError extends Error {
  constructor(message, status, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function getJson(path) {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  const text = await response.text();
  let body = null;
  try { body = JSON.parse(text); } catch { /* not JSON: reported below */ }
  if (!response.ok) {
    throw new ApiError(body?.error?.message ?? `HTTP ${response.status}`, response.status, body?.error?.code ?? '');
  }
  if (body === null) throw new ApiError('the answer is not JSON', response.status, '');
  return body;
}

// A WebSocket that reconnects (1 s, doubling to 10 s) until closed. onMessage gets parsed JSON;
// onState(true|false) says whether it is connected. Returns a function that closes it for good.
export function live(path, onMessage, onState) {
  let socket = null;
  let closed = false;
  let delay = 1000;
  let timer = null;
  const connect = () => {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`;
    socket = new WebSocket(url);
    socket.onopen = () => { delay = 1000; onState?.(true); };
    socket.onmessage = (event) => {
      try { onMessage(JSON.parse(event.data)); } catch { /* a message that is not JSON is skipped */ }
    };
    socket.onclose = () => {
      onState?.(false);
      if (closed) return;
      timer = setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10000);
    };
  };
  connect();
  return () => {
    closed = true;
    clearTimeout(timer);
    socket?.close();
  };
}
