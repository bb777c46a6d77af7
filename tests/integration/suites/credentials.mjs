// Where credentials come from (section 2 of jellyfin-compat.md), checked on
// GET /System/Info over real HTTP.  The same table runs against a stack with
// legacy authorization on (default) and one with it off.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { unique, randomHex, assertNoCredentials } from '../harness.mjs';

// Each case: [label, build(K, bad) → {path, headers, raw?}, expected status
// with legacy on, expected status with legacy off].  K is a valid key, bad a
// well-formed unknown key.
const CASES = [
  // Authorization header, MediaBrowser scheme.
  ['MediaBrowser Token="K"', (K) => ({ headers: { Authorization: `MediaBrowser Token="${K}"` } }), 200, 200],
  ['Heimdall: Token="<encoded K>", Client="Heimdall"', (K) => ({ headers: { Authorization: `MediaBrowser Token="${encodeURIComponent(K)}", Client="Heimdall"` } }), 200, 200],
  ['scheme any case: mediabrowser', (K) => ({ headers: { Authorization: `mediabrowser Token="${K}"` } }), 200, 200],
  ['scheme any case: MEDIABROWSER', (K) => ({ headers: { Authorization: `MEDIABROWSER Token="${K}"` } }), 200, 200],
  ['two spaces after the scheme (apiclient-python)', (K) => ({ headers: { Authorization: `MediaBrowser  Token="${K}"` } }), 200, 200],
  ['quotes optional', (K) => ({ headers: { Authorization: `MediaBrowser Token=${K}` } }), 200, 200],
  ['Token last of many params (SDK style)', (K) => ({ headers: { Authorization: `MediaBrowser Client="Jellyfin%20Web", Device="Firefox", DeviceId="abc", Version="10.11.0", Token="${K}"` } }), 200, 200],
  ['Token first, Client after', (K) => ({ headers: { Authorization: `MediaBrowser Token="${K}", Client="x"` } }), 200, 200],
  ['no spaces after commas', (K) => ({ headers: { Authorization: `MediaBrowser Client="x",Token="${K}"` } }), 200, 200],
  ['%xx in the token is decoded', (K) => ({ headers: { Authorization: `MediaBrowser Token="%${K.charCodeAt(0).toString(16)}${K.slice(1)}"` } }), 200, 200],
  ['duplicated Token: the last wins (valid last)', (K, bad) => ({ headers: { Authorization: `MediaBrowser Token="${bad}", Token="${K}"` } }), 200, 200],
  ['duplicated Token: the last wins (bad last)', (K, bad) => ({ headers: { Authorization: `MediaBrowser Token="${K}", Token="${bad}"` } }), 401, 401],
  ['name is case-sensitive: token=', (K) => ({ headers: { Authorization: `MediaBrowser token="${K}"` } }), 401, 401],
  ['name is case-sensitive: TOKEN=', (K) => ({ headers: { Authorization: `MediaBrowser TOKEN="${K}"` } }), 401, 401],
  ['space before the comma keeps `" ` in the token', (K) => ({ headers: { Authorization: `MediaBrowser Token="${K}" , Client="x"` } }), 401, 401],
  ['unquoted value with = breaks the pair', (K) => ({ headers: { Authorization: `MediaBrowser Token=${K}=x` } }), 401, 401],
  ['upper-case key (lookup is exact)', (K) => ({ headers: { Authorization: `MediaBrowser Token="${K.toUpperCase()}"` } }), 401, 401],
  ['key with a trailing space inside the quotes', (K) => ({ headers: { Authorization: `MediaBrowser Token="${K} "` } }), 401, 401],
  ['key with a space before it inside the quotes', (K) => ({ headers: { Authorization: `MediaBrowser Token=" ${K}"` } }), 401, 401],
  ['truncated key', (K) => ({ headers: { Authorization: `MediaBrowser Token="${K.slice(0, 31)}"` } }), 401, 401],
  ['key with one more character', (K) => ({ headers: { Authorization: `MediaBrowser Token="${K}0"` } }), 401, 401],
  ['MediaBrowser without a space → nothing', () => ({ headers: { Authorization: 'MediaBrowser' } }), 401, 401],
  ['MediaBrowser without a space + ?ApiKey=K → fallback', (K) => ({ path: `/System/Info?ApiKey=${K}`, headers: { Authorization: 'MediaBrowser' } }), 200, 200],

  // Emby scheme.
  ['Emby Token="K"', (K) => ({ headers: { Authorization: `Emby Token="${K}"` } }), 200, 401],
  ['emby (any case) Token="K"', (K) => ({ headers: { Authorization: `emby Token="${K}"` } }), 200, 401],
  ['Emby Token=bad + ?ApiKey=K', (K, bad) => ({ path: `/System/Info?ApiKey=${K}`, headers: { Authorization: `Emby Token="${bad}"` } }), 401, 200],

  // Other schemes yield nothing; fallbacks run.
  ['Bearer K alone', (K) => ({ headers: { Authorization: `Bearer ${K}` } }), 401, 401],
  ['Basic + X-Emby-Token: K', (K) => ({ headers: { Authorization: `Basic ${Buffer.from('a:b').toString('base64')}`, 'X-Emby-Token': K } }), 200, 401],
  ['Bearer + X-Emby-Token: K', (K) => ({ headers: { Authorization: `Bearer ${K}`, 'X-Emby-Token': K } }), 200, 401],
  ['Bearer + ?ApiKey=K', (K) => ({ path: `/System/Info?ApiKey=${K}`, headers: { Authorization: `Bearer ${K}` } }), 200, 200],
  ['Bearer + ?api_key=K', (K) => ({ path: `/System/Info?api_key=${K}`, headers: { Authorization: `Bearer xyz` } }), 200, 401],
  ['Bearer Token="K" (params are not read)', (K) => ({ headers: { Authorization: `Bearer Token="${K}"` } }), 401, 401],

  // Empty and blank tokens.
  ['Token="" + X-Emby-Token: K → fallback', (K) => ({ headers: { Authorization: 'MediaBrowser Token=""', 'X-Emby-Token': K } }), 200, 401],
  ['Token="" + ?ApiKey=K → fallback', (K) => ({ path: `/System/Info?ApiKey=${K}`, headers: { Authorization: 'MediaBrowser Token=""' } }), 200, 200],
  ['Token=" " + X-Emby-Token: K → no fallback', (K) => ({ headers: { Authorization: 'MediaBrowser Token=" "', 'X-Emby-Token': K } }), 401, 401],
  ['Token=" " + ?ApiKey=K → no fallback', (K) => ({ path: `/System/Info?ApiKey=${K}`, headers: { Authorization: 'MediaBrowser Token=" "' } }), 401, 401],
  ['Token="%20%20" + ?ApiKey=K → no fallback', (K) => ({ path: `/System/Info?ApiKey=${K}`, headers: { Authorization: 'MediaBrowser Token="%20%20"' } }), 401, 401],
  ['Token="+" (a space) + ?ApiKey=K → no fallback', (K) => ({ path: `/System/Info?ApiKey=${K}`, headers: { Authorization: 'MediaBrowser Token="+"' } }), 401, 401],
  ['?ApiKey=%20 (blank) alone', () => ({ path: '/System/Info?ApiKey=%20' }), 401, 401],

  // A present token is not replaced by a fallback.
  ['Token=bad + ?ApiKey=K → 401', (K, bad) => ({ path: `/System/Info?ApiKey=${K}`, headers: { Authorization: `MediaBrowser Token="${bad}"` } }), 401, 401],
  ['Token=K + ?ApiKey=bad → 200', (K, bad) => ({ path: `/System/Info?ApiKey=${bad}`, headers: { Authorization: `MediaBrowser Token="${K}"` } }), 200, 200],
  ['Client only + X-Emby-Token: K (legacy fallback)', (K) => ({ headers: { Authorization: 'MediaBrowser Client="x"', 'X-Emby-Token': K } }), 200, 401],
  ['X-Emby-Token: bad + ?ApiKey=K → X-Emby-Token first', (K, bad) => ({ path: `/System/Info?ApiKey=${K}`, headers: { 'X-Emby-Token': bad } }), 401, 200],
  ['X-Emby-Token: bad + X-MediaBrowser-Token: K', (K, bad) => ({ headers: { 'X-Emby-Token': bad, 'X-MediaBrowser-Token': K } }), 401, 401],
  ['X-MediaBrowser-Token: bad + ?ApiKey=K', (K, bad) => ({ path: `/System/Info?ApiKey=${K}`, headers: { 'X-MediaBrowser-Token': bad } }), 401, 200],
  ['?ApiKey=bad&api_key=K → ApiKey first', (K, bad) => ({ path: `/System/Info?ApiKey=${bad}&api_key=${K}` }), 401, 401],
  ['?api_key=bad&ApiKey=K → ApiKey first', (K, bad) => ({ path: `/System/Info?api_key=${bad}&ApiKey=${K}` }), 200, 200],

  // X-Emby-Authorization.
  ['X-Emby-Authorization only', (K) => ({ headers: { 'X-Emby-Authorization': `MediaBrowser Token="${K}"` } }), 200, 401],
  ['X-Emby-Authorization, Emby scheme', (K) => ({ headers: { 'X-Emby-Authorization': `Emby Token="${K}"` } }), 200, 401],
  ['Authorization (no Token) wins over X-Emby-Authorization', (K) => ({ headers: { Authorization: 'MediaBrowser Client="x"', 'X-Emby-Authorization': `MediaBrowser Token="${K}"` } }), 401, 401],
  ['Authorization Token=bad wins over X-Emby-Authorization', (K, bad) => ({ headers: { Authorization: `MediaBrowser Token="${bad}"`, 'X-Emby-Authorization': `MediaBrowser Token="${K}"` } }), 401, 401],
  ['Authorization Token=K, X-Emby-Authorization bad', (K, bad) => ({ headers: { Authorization: `MediaBrowser Token="${K}"`, 'X-Emby-Authorization': `MediaBrowser Token="${bad}"` } }), 200, 200],
  ['empty Authorization → X-Emby-Authorization used', (K) => ({ raw: [['Authorization', ''], ['X-Emby-Authorization', `MediaBrowser Token="${K}"`]] }), 200, 401],

  // Legacy token headers.
  ['X-Emby-Token: K', (K) => ({ headers: { 'X-Emby-Token': K } }), 200, 401],
  ['x-emby-token (header names are case-insensitive)', (K) => ({ raw: [['x-emby-token', K]] }), 200, 401],
  ['X-MediaBrowser-Token: K', (K) => ({ headers: { 'X-MediaBrowser-Token': K } }), 200, 401],

  // Query parameters.
  ['?ApiKey=K', (K) => ({ path: `/System/Info?ApiKey=${K}` }), 200, 200],
  ['?apikey=K', (K) => ({ path: `/System/Info?apikey=${K}` }), 200, 200],
  ['?APIKEY=K', (K) => ({ path: `/System/Info?APIKEY=${K}` }), 200, 200],
  ['?api_key=K', (K) => ({ path: `/System/Info?api_key=${K}` }), 200, 401],
  ['?API_KEY=K', (K) => ({ path: `/System/Info?API_KEY=${K}` }), 200, 401],
  ['?Api_Key=K among other parameters', (K) => ({ path: `/System/Info?x=1&Api_Key=${K}&y=2` }), 200, 401],
  ['?ApiKey=<upper-case K>', (K) => ({ path: `/System/Info?ApiKey=${K.toUpperCase()}` }), 401, 401],
  ['?ApiKey=<K %-encoded>', (K) => ({ path: `/System/Info?ApiKey=%${K.charCodeAt(0).toString(16)}${K.slice(1)}` }), 200, 200],
  ['?apikeyx=K (other parameter name)', (K) => ({ path: `/System/Info?apikeyx=${K}` }), 401, 401],
  ['?token=K (not a source)', (K) => ({ path: `/System/Info?token=${K}` }), 401, 401],
  ['Cookie is not a source', (K) => ({ headers: { Cookie: `api_key=${K}; Token=${K}` } }), 401, 401],
  ['/emby/System/Info?api_key=K (old Homepage)', (K) => ({ path: `/emby/System/Info?api_key=${K}` }), 200, 401],
  ['/emby/System/Info?ApiKey=K', (K) => ({ path: `/emby/System/Info?ApiKey=${K}` }), 200, 200],
];

export default function credentialsSuite(S, { legacy }) {
  describe(`credential sources (legacy ${legacy ? 'on' : 'off'})`, () => {
    let K;
    const bad = randomHex(16);

    test('set up a key', async () => {
      K = await S.createKey(unique(legacy ? 'cred-on' : 'cred-off'));
      S.remember(K);
    });

    for (const [label, build, onStatus, offStatus] of CASES) {
      const want = legacy ? onStatus : offStatus;
      test(`${label} → ${want}`, async () => {
        assert.ok(K, 'key was created');
        const spec = build(K, bad);
        const p = spec.path || '/System/Info';
        let r;
        if (spec.raw) r = await S.raw(S.rawRequest('GET', p, spec.raw));
        else r = await S.req('GET', p, { headers: spec.headers || {} });
        if (want === 401) assertNoCredentials(r, label);
        else assert.equal(r.status, want, `${label}: ${r.status} ${r.body.slice(0, 200)}`);
      });
    }

    test('session tokens come from the same sources', async () => {
      const u = await S.createUser();
      const { token } = await S.loginToken(u.name, u.password);
      const legacyStatus = legacy ? 200 : 401;
      const me = (headers, p = '/Users/Me') => S.req('GET', p, { headers });
      assert.equal((await me({ Authorization: `MediaBrowser Token="${token}"` })).status, 200);
      assert.equal((await me({}, `/Users/Me?ApiKey=${token}`)).status, 200);
      assert.equal((await me({ 'X-Emby-Token': token })).status, legacyStatus);
      assert.equal((await me({ 'X-MediaBrowser-Token': token })).status, legacyStatus);
      assert.equal((await me({}, `/Users/Me?api_key=${token}`)).status, legacyStatus);
      assert.equal((await me({ 'X-Emby-Authorization': `MediaBrowser Token="${token}"` })).status, legacyStatus);
    });

    test('login with the Emby scheme reads the client fields only with legacy on', async () => {
      const r = await S.req('POST', '/Users/AuthenticateByName', {
        headers: { Authorization: `Emby Client="c", Device="d", DeviceId="${unique('emby')}", Version="1"` },
        body: { Username: 'admin', Pw: S.adminPassword },
      });
      assert.equal(r.status, legacy ? 200 : 400, `Emby-scheme login: ${r.status} ${r.body}`);
    });

    test('login with the client fields in X-Emby-Authorization works only with legacy on', async () => {
      const r = await S.req('POST', '/Users/AuthenticateByName', {
        headers: { 'X-Emby-Authorization': `MediaBrowser Client="c", Device="d", DeviceId="${unique('xea')}", Version="1"` },
        body: { Username: 'admin', Pw: S.adminPassword },
      });
      assert.equal(r.status, legacy ? 200 : 400, `X-Emby-Authorization login: ${r.status} ${r.body}`);
    });

    test('odd credential headers never cause a 5xx', async () => {
      const values = [
        Buffer.from('MediaBrowser Token="'),
        Buffer.from('MediaBrowser """"""",,,,====,=,'),
        Buffer.from('MediaBrowser =,=,Token'),
        Buffer.concat([Buffer.from('MediaBrowser Token="'), Buffer.from([0xff, 0xfe, 0x00, 0x01]), Buffer.from('"')]),
        Buffer.from('MediaBrowser Token="%"'),
        Buffer.from('MediaBrowser Token="%FF%FE"'),
        Buffer.from('MediaBrowser Token="%00"'),
        Buffer.from(`MediaBrowser ${'a=b,'.repeat(1500)}`),
        Buffer.from(`MediaBrowser Token="${'f'.repeat(5000)}"`),
        Buffer.from(' '),
        Buffer.from('\t'),
      ];
      for (const v of values) {
        const r = await S.raw(S.rawRequest('GET', '/System/Info', [['Authorization', v]]));
        assert.ok(r.status < 500, `Authorization ${JSON.stringify(v.toString('latin1').slice(0, 40))}: ${r.status}`);
        assert.notEqual(r.status, 200, `Authorization ${JSON.stringify(v.toString('latin1').slice(0, 40))} authenticated`);
      }
      // An unterminated quote: Jellyfin trims the lone quote, so this may
      // authenticate; it must only never crash.
      const open = await S.raw(S.rawRequest('GET', '/System/Info', [['Authorization', `MediaBrowser Token="${K}`]]));
      assert.ok(open.status < 500, `unterminated quote: ${open.status}`);
      // Duplicated headers.
      for (const hs of [
        [['Authorization', `MediaBrowser Token="${K}"`], ['Authorization', `MediaBrowser Token="${bad}"`]],
        [['X-Emby-Token', K], ['X-Emby-Token', bad]],
        [['X-Emby-Token', bad], ['X-Emby-Token', K]],
      ]) {
        const r = await S.raw(S.rawRequest('GET', '/System/Info', hs));
        assert.ok(r.status < 500, `duplicated ${hs[0][0]}: ${r.status}`);
      }
    });
  });
}
