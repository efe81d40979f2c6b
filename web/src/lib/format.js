// Numbers and times as people read them.

const integer = new Intl.NumberFormat('en-US');

// u64 values arrive as decimal strings: formatted exactly (BigInt), never rounded through a double.
export function formatInt(value) {
  if (value === null || value === undefined || value === '') return '–';
  if (typeof value === 'string') {
    try { return integer.format(BigInt(value)); } catch { return value; }
  }
  return integer.format(Math.round(value));
}

export function formatMs(ms) {
  if (ms === null || ms === undefined) return '–';
  if (ms < 1000) return `${integer.format(Math.round(ms))} ms`;
  return `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
}

export function formatBytes(bytes) {
  if (!bytes) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  return `${value.toFixed(value < 10 && unit > 0 ? 1 : 0)} ${units[unit]}`;
}

export function formatPercent(value) {
  if (value === null || value === undefined) return '–';
  return `${value.toFixed(value < 10 ? 1 : 0)} %`;
}

// "3 s ago", "4 min ago", "2 h ago" (against `now`, unix ms).
export function ago(unixMs, now = Date.now()) {
  if (!unixMs) return 'never';
  const s = Math.max(0, Math.round((now - unixMs) / 1000));
  if (s < 2) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

export function since(unixMs, now = Date.now()) {
  if (!unixMs) return '';
  const label = ago(unixMs, now);
  return label === 'just now' ? '· just now' : `· for ${label.replace(' ago', '')}`;
}
