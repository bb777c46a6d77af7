// Key options for the integrations keyfin knows, and the checks the page
// makes before it asks the server (which checks again).
//
// Each preset's scopes are the requests that integration really makes with
// its key, as replayed in tests/compat/suites/replays.mjs (from the
// integrations' own source, cited there) and listed in
// tests/compat/known-differences.md. A path scope allows that path and
// everything below it, any method, with or without /emby in front.

export const PRESETS = [
  {
    id: 'heimdall',
    name: 'Heimdall',
    // Jellyfin.php: test() asks System/Info; livestats() asks Items/Counts
    scopes: ['/System/Info', '/Items/Counts'],
    hint: 'Heimdall checks the key on /System/Info and shows counts from /Items/Counts.',
  },
  {
    id: 'homepage',
    name: 'Homepage',
    // widgets/jellyfin: System/Info, Sessions (now playing, and its
    // play/pause commands under /Sessions/{id}/Playing), Items/Counts
    scopes: ['/System/Info', '/Sessions', '/Items/Counts'],
    hint: 'Homepage’s widget reads /System/Info, /Sessions (and controls playback there) and /Items/Counts.',
  },
  {
    id: 'seerr',
    name: 'Seerr / Jellyseerr',
    // server/api/jellyfin.ts: System/Info, then libraries and items, all GET
    scopes: ['read'],
    hint: 'Seerr and Jellyseerr only read (GET). Importing users needs an administrator key.',
  },
  {
    id: 'arr',
    name: 'Sonarr / Radarr',
    // MediaBrowserProxy.cs: System/Info, System/Configuration (Test),
    // Notifications/Admin, Library/Media/Updated (POST), Items
    scopes: ['/System/Info', '/System/Configuration', '/Notifications/Admin', '/Library/Media/Updated', '/Items'],
    hint: 'Sonarr and Radarr notify (/Notifications/Admin), ask for library updates (/Library/Media/Updated) and read /Items.',
  },
];

// "192.168.1.0/24", "10.0.0.1", "fd00::/8", "::1": what PostgreSQL's cidr
// takes (host bits of a block must be zero there: the server says so).
function ipv4(s) {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

function ipv6(s) {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || s.split('::').length > 2) return false;
  let head = s;
  const v4 = /:(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    if (!ipv4(v4[1])) return false;
    // the IPv4 tail stands for two groups
    head = s.slice(0, v4.index + 1) + '0:0';
  }
  const groups = head.split(':');
  const double = head.includes('::');
  const filled = groups.filter((g) => g !== '');
  if (!filled.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  return double ? filled.length < 8 : filled.length === 8;
}

// Returns the problem in words, or '' for an address or block.
export function addressProblem(text) {
  const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(text);
  if (!m) return `“${text}” is not an address or a block (like 192.168.1.0/24).`;
  const [, addr, bits] = m;
  const v4 = ipv4(addr);
  if (!v4 && !ipv6(addr)) return `“${text}” is not an IPv4 or IPv6 address.`;
  if (bits !== undefined && Number(bits) > (v4 ? 32 : 128)) {
    return `“${text}”: a block of ${v4 ? 'IPv4 has at most /32' : 'IPv6 has at most /128'}.`;
  }
  return '';
}

// Lines of a textarea, trimmed, without the empty ones.
export function lines(text) {
  return text.split('\n').map((s) => s.trim()).filter((s) => s !== '');
}

export function pathProblem(p) {
  if (!p.startsWith('/')) return `“${p}” does not start with /.`;
  if (p.includes('?')) return `“${p}”: a path, without a query.`;
  if (p.length > 200) return `“${p.slice(0, 20)}…” is longer than 200 characters.`;
  return '';
}
