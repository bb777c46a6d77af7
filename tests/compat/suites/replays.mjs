// What integrations send, replayed from their source.  Each replay quotes
// the file and lines it copies (commit of the snapshot that was read).
// Where the HTTP stack is part of the behaviour the real one is used: Guzzle
// for Heimdall (PHP), axios for Seerr, Node's fetch for Jellyseerr 2.x.
// Elsewhere the bytes go over a raw socket, header order and spacing as the
// client builds them.
//
// Expectations follow Jellyfin per mode: with legacy on (10.11) every
// Emby-era source works; with it off (12.x) only `Authorization: MediaBrowser`
// and `?ApiKey=` carry a credential, the rest is 401 (and a login whose
// client fields come only from X-Emby-Authorization is 400).

import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import axios from 'axios';
import { HEX32, unique, randomHex, assertNoCredentials } from '../../integration/harness.mjs';
import { clientTest, baseUrl, hostHeader, rawExact, ROOT } from '../lib/compat.mjs';

const PHP_TIMEOUT_MS = 30_000;

function heimdall(S, app, key, endpoint) {
  return new Promise((resolve, reject) => {
    const env = {
      PATH: process.env.PATH,
      KEYFIN_URL: baseUrl(S),
      KEYFIN_KEY: key,
      HEIMDALL_APP: app,
      ...(endpoint ? { HEIMDALL_PATH: endpoint } : {}),
    };
    execFile('php', [path.join(ROOT, 'tests', 'compat', 'replay', 'heimdall.php')],
      { env, timeout: PHP_TIMEOUT_MS }, (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`php heimdall.php (${app}) failed: ${err.message}\n${stderr}`));
          return;
        }
        try {
          resolve(JSON.parse(stdout.trim().split('\n').pop()));
        } catch (e) {
          reject(new Error(`heimdall.php printed no JSON: ${stdout}\n${stderr}`));
        }
      });
  });
}

function assertSystemInfo(r, what) {
  assert.equal(r.status, 200, `${what}: ${r.status} ${r.body.slice(0, 200)}`);
  assert.equal(r.json.ProductName, 'Jellyfin Server', what);
  assert.match(r.json.Id, HEX32, what);
}

export default function replaySuite(S, { legacy }) {
  const legacyStatus = legacy ? 200 : 401;

  // ---- Heimdall (PHP, Guzzle) ---------------------------------------------
  describe('Heimdall', () => {
    clientTest('heimdall', 'test(): GET System/Info, Authorization: MediaBrowser Token="<urlencoded>", Client="Heimdall"', async () => {
      const key = await S.createKey('Heimdall');
      const ok = await heimdall(S, 'jellyfin', key);
      assert.equal(ok.status, 200, ok.body);
      assert.equal(JSON.parse(ok.body).ProductName, 'Jellyfin Server');
      // A trailing slash typed by the user: normaliseurl() keeps one.
      assert.equal((await heimdall(S, 'jellyfin', key, 'System/Info/')).status, 200);
      const admin = await S.adminToken();
      assert.equal((await S.req('DELETE', `/Auth/Keys/${key}`, { token: admin })).status, 204);
      const gone = await heimdall(S, 'jellyfin', key);
      assert.equal(gone.status, 401, 'Heimdall shows "Failed: Invalid credentials"');
      assert.equal(gone.body, '');
    });

    clientTest('heimdallOld', 'X-MediaBrowser-Token on System/Info', async () => {
      const key = await S.createKey('Heimdall');
      assert.equal((await heimdall(S, 'jellyfin-old', key)).status, legacyStatus);
      assert.equal((await heimdall(S, 'jellyfin-old', randomHex(16))).status, 401);
    });

    clientTest('heimdallEmby', 'X-Emby-Token on System/Info', async () => {
      const key = await S.createKey('Heimdall');
      assert.equal((await heimdall(S, 'emby', key)).status, legacyStatus);
      assert.equal((await heimdall(S, 'emby', randomHex(16))).status, 401);
    });
  });

  // ---- Homepage -------------------------------------------------------------
  describe('Homepage', () => {
    // gethomepage/homepage@b2a52ff src/widgets/jellyfin/proxy.js:27-35
    //   const deviceIdRaw = widget.deviceId ?? `${widget.service_group || "group"}-${widget.service_name || "service"}`;
    //   const deviceId = encodeURIComponent(deviceIdRaw);
    //   const authHeader = `MediaBrowser Token="${encodeURIComponent(
    //     widget.key,
    //   )}", Client="Homepage", Device="Homepage", DeviceId="${deviceId}", Version="1.0.0"`;
    //   const headers = { Authorization: authHeader };
    // sent with node's http.request (src/utils/proxy/http.js:33): the
    // caller's headers, then Host and Connection.
    const homepageHeader = (key) => `MediaBrowser Token="${encodeURIComponent(key)}", Client="Homepage", ` +
      `Device="Homepage", DeviceId="${encodeURIComponent('My Media-Jellyfin')}", Version="1.0.0"`;

    clientTest('homepage', 'Authorization with Token, Client, Device, DeviceId, Version (V2 endpoints)', async () => {
      const key = await S.createKey('Homepage');
      const r = await rawExact(S, 'GET /System/Info HTTP/1.1',
        [`Authorization: ${homepageHeader(key)}`, `Host: ${hostHeader(S)}`, 'Connection: close']);
      assertSystemInfo(r, 'homepage');
      const bad = await rawExact(S, 'GET /System/Info HTTP/1.1',
        [`Authorization: ${homepageHeader(randomHex(16))}`, `Host: ${hostHeader(S)}`, 'Connection: close']);
      assertNoCredentials(bad, 'homepage with an unknown key');
    });

    clientTest('homepage', 'V1 endpoints: /emby/…?api_key= plus the same Authorization header', async () => {
      // src/widgets/jellyfin/widget.js: Sessions: { endpoint: "emby/Sessions?api_key={key}" }
      const key = await S.createKey('Homepage');
      const r = await rawExact(S, `GET /emby/System/Info?api_key=${key} HTTP/1.1`,
        [`Authorization: ${homepageHeader(key)}`, `Host: ${hostHeader(S)}`, 'Connection: close']);
      assertSystemInfo(r, 'homepage V1');
    });

    clientTest('homepageOld', 'Authorization: MediaBrowser Token=<key> (unquoted) + X-Emby-Token + X-MediaBrowser-Token', async () => {
      // gethomepage/homepage@025024a src/widgets/jellyfin/proxy.js:27-32
      //   const headers = {
      //     Authorization: `MediaBrowser Token=${widget.key}`,
      //     "Content-Type": "application/json",
      //     "X-Emby-Token": widget.key,
      //     "X-MediaBrowser-Token": widget.key,
      //   };
      const key = await S.createKey('Homepage');
      const lines = (k) => [`Authorization: MediaBrowser Token=${k}`, 'Content-Type: application/json',
        `X-Emby-Token: ${k}`, `X-MediaBrowser-Token: ${k}`, `Host: ${hostHeader(S)}`, 'Connection: close'];
      assertSystemInfo(await rawExact(S, 'GET /System/Info HTTP/1.1', lines(key)), 'homepage old');
      // The Authorization token is found first: a bad one there is not
      // rescued by the legacy headers (Jellyfin reads them only when Token is
      // absent or empty).
      const mixed = [`Authorization: MediaBrowser Token=${randomHex(16)}`, `X-Emby-Token: ${key}`,
        `X-MediaBrowser-Token: ${key}`, `Host: ${hostHeader(S)}`, 'Connection: close'];
      assertNoCredentials(await rawExact(S, 'GET /System/Info HTTP/1.1', mixed), 'bad Authorization token, good legacy headers');
    });

    clientTest('homepageEmby', 'GET /emby/System/Info?api_key=<key>, no header', async () => {
      // gethomepage/homepage@b2a52ff src/widgets/emby/widget.js:4
      //   api: "{url}/emby/{endpoint}?api_key={key}",
      const key = await S.createKey('Homepage');
      const r = await rawExact(S, `GET /emby/System/Info?api_key=${key} HTTP/1.1`,
        [`Host: ${hostHeader(S)}`, 'Connection: close']);
      if (legacy) assertSystemInfo(r, 'emby widget');
      else assertNoCredentials(r, 'api_key with legacy off');
    });
  });

  // ---- Seerr (axios) and Jellyseerr 2.x (fetch) -----------------------------
  describe('Seerr', () => {
    // seerr-team/seerr@f74306e server/api/jellyfin.ts:135-157
    //   const safeDeviceId = deviceId && deviceId.length > 0 ? deviceId
    //       : Buffer.from('BOT_seerr').toString('base64');
    //   authHeaderVal = `MediaBrowser Client="Seerr", Device="Seerr", DeviceId="${safeDeviceId}", Version="${getAppVersion()}", Token="${authToken}"`;
    //   (without `, Token=…` when there is no token)
    //   super(jellyfinHost, {}, { headers: { Authorization: authHeaderVal,
    //       'Content-Type': 'application/json', Accept: 'application/json' } });
    // server/api/externalapi.ts:33-42: axios.create({ baseURL, params, timeout, headers })
    // getAppVersion() is "develop-local" for a build without committag.json.
    function seerrClient(token, deviceId) {
      const safeDeviceId = deviceId && deviceId.length > 0 ? deviceId : Buffer.from('BOT_seerr').toString('base64');
      const authHeaderVal = token
        ? `MediaBrowser Client="Seerr", Device="Seerr", DeviceId="${safeDeviceId}", Version="develop-local", Token="${token}"`
        : `MediaBrowser Client="Seerr", Device="Seerr", DeviceId="${safeDeviceId}", Version="develop-local"`;
      return axios.create({
        baseURL: baseUrl(S),
        params: {},
        timeout: 15000,
        headers: { Authorization: authHeaderVal, 'Content-Type': 'application/json', Accept: 'application/json' },
      });
    }

    clientTest('seerr', 'login, POST /Auth/Keys?App=Seerr, newest key named Seerr, GET /System/Info', async () => {
      // server/routes/auth.ts:279-290: the admin's device is 'BOT_seerr';
      // other users get base64(`BOT_seerr_${username}`) (may end in '=').
      const deviceId = 'BOT_seerr';
      const login = await seerrClient(undefined, deviceId)
        .post('/Users/AuthenticateByName', { Username: 'admin', Pw: S.adminPassword });
      assert.equal(login.status, 200);
      S.remember(login.data.AccessToken);
      assert.equal(login.data.SessionInfo.DeviceId, deviceId);

      // server/api/jellyfin.ts:453-459 createApiToken(appName)
      //   await this.post(`/Auth/Keys?App=${appName}`);
      //   const apiKeys = await this.get<any>(`/Auth/Keys`);
      //   return apiKeys.Items.reverse().find((item: any) => item.AppName === appName).AccessToken;
      const client = seerrClient(login.data.AccessToken, deviceId);
      const created = await client.post('/Auth/Keys?App=Seerr');
      assert.equal(created.status, 204);
      const apiKeys = (await client.get('/Auth/Keys')).data;
      const found = apiKeys.Items.reverse().find((item) => item.AppName === 'Seerr');
      assert.ok(found, 'a key named Seerr is listed');
      const apiKey = found.AccessToken;
      S.remember(apiKey);
      assert.match(apiKey, HEX32);

      // getSystemInfo() with the key: new JellyfinAPI(hostname, apiKey)
      const info = await seerrClient(apiKey).get('/System/Info');
      assert.equal(info.status, 200);
      assert.equal(info.data.ProductName, 'Jellyfin Server');
      const name = await seerrClient(apiKey).get('/System/Info/Public');
      assert.equal(typeof name.data.ServerName, 'string');
    });

    clientTest('seerr', 'a second Seerr key: the newest one is found, both work', async () => {
      const login = await seerrClient(undefined, 'BOT_seerr').post('/Users/AuthenticateByName', { Username: 'admin', Pw: S.adminPassword });
      S.remember(login.data.AccessToken);
      const client = seerrClient(login.data.AccessToken, 'BOT_seerr');
      const before = (await client.get('/Auth/Keys')).data.Items.filter((k) => k.AppName === 'Seerr').map((k) => k.AccessToken);
      assert.equal((await client.post('/Auth/Keys?App=Seerr')).status, 204);
      const items = (await client.get('/Auth/Keys')).data.Items;
      const newest = items.reverse().find((item) => item.AppName === 'Seerr').AccessToken;
      S.remember(newest);
      assert.ok(!before.includes(newest), 'the key found is the one just created');
      for (const k of [newest, ...before]) {
        assert.equal((await seerrClient(k).get('/System/Info')).status, 200);
      }
    });

    clientTest('seerr', 'a user login with a base64 DeviceId ending in "="', async () => {
      const user = await S.createUser({ name: unique('seerru') });
      const deviceId = Buffer.from(`BOT_seerr_${user.name}x`).toString('base64');
      assert.ok(deviceId.endsWith('='), `${deviceId} has padding`);
      const login = await seerrClient(undefined, deviceId)
        .post('/Users/AuthenticateByName', { Username: user.name, Pw: user.password });
      assert.equal(login.status, 200);
      S.remember(login.data.AccessToken);
      assert.equal(login.data.SessionInfo.DeviceId, deviceId);
    });

    // Fallenbagel/jellyseerr@3b4d6bf server/api/jellyfin.ts:103-118
    //   authHeaderVal = `MediaBrowser Client="Jellyseerr", Device="Jellyseerr", DeviceId="${deviceId}", Version="${getAppVersion()}", Token="${authToken}"`;
    //   super(jellyfinHost, {}, { headers: { 'X-Emby-Authorization': authHeaderVal } });
    // server/api/externalapi.ts:41-53 defaultHeaders = { 'Content-Type': 'application/json',
    //   Accept: 'application/json', ...options.headers }
    // server/api/externalapi.ts:107-131 post(): fetch(url, { method: 'POST', ...config,
    //   headers, body: data ? JSON.stringify(data) : undefined })
    function jellyseerrFetch(method, p, token, data) {
      const deviceId = Buffer.from('BOT_jellyseerr_admin').toString('base64');
      const authHeaderVal = token
        ? `MediaBrowser Client="Jellyseerr", Device="Jellyseerr", DeviceId="${deviceId}", Version="2.5.0", Token="${token}"`
        : `MediaBrowser Client="Jellyseerr", Device="Jellyseerr", DeviceId="${deviceId}", Version="2.5.0"`;
      return fetch(`${baseUrl(S)}${p}`, {
        method,
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-Emby-Authorization': authHeaderVal },
        body: data ? JSON.stringify(data) : undefined,
        signal: AbortSignal.timeout(15000),
      });
    }

    clientTest('jellyseerr', 'X-Emby-Authorization: login, POST /Auth/Keys?App=Jellyseerr (JSON type, empty body), System/Info', async () => {
      const login = await jellyseerrFetch('POST', '/Users/AuthenticateByName', undefined, { Username: 'admin', Pw: S.adminPassword });
      if (!legacy) {
        // 12.x reads no client fields from X-Emby-Authorization:
        // SessionManager.AuthenticateNewSessionInternal → 400.
        assert.equal(login.status, 400);
        const key = await S.createKey('Jellyseerr');
        const info = await jellyseerrFetch('GET', '/System/Info', key);
        assert.equal(info.status, 401);
        return;
      }
      assert.equal(login.status, 200);
      const { AccessToken: token } = await login.json();
      S.remember(token);
      // server/api/jellyfin.ts:410-416 createApiToken: the same calls as Seerr
      const created = await jellyseerrFetch('POST', '/Auth/Keys?App=Jellyseerr', token);
      assert.equal(created.status, 204);
      assert.equal(await created.text(), '');
      const list = await (await jellyseerrFetch('GET', '/Auth/Keys', token)).json();
      const apiKey = list.Items.reverse().find((item) => item.AppName === 'Jellyseerr').AccessToken;
      S.remember(apiKey);
      const info = await jellyseerrFetch('GET', '/System/Info', apiKey);
      assert.equal(info.status, 200);
      assert.equal((await info.json()).ProductName, 'Jellyfin Server');
    });
  });

  // ---- Sonarr / Radarr --------------------------------------------------------
  clientTest('sonarr', 'X-MediaBrowser-Token', async () => {
    // Sonarr/Sonarr@49df353 src/NzbDrone.Core/Notifications/MediaBrowser/MediaBrowserProxy.cs:22-26, 144, 156
    //   var request = BuildRequest(path, settings);
    //   request.Headers.Add("X-MediaBrowser-Token", settings.ApiKey);
    // (TestConnection asks /System/Configuration, which keyfin does not
    // serve: the credential is checked on /System/Info.)
    const key = await S.createKey('Sonarr');
    const lines = (k) => [`Host: ${hostHeader(S)}`, 'User-Agent: Sonarr/4.0.15.2941 (debian 12)',
      'Accept-Encoding: gzip, deflate, br', `X-MediaBrowser-Token: ${k}`, 'Connection: close'];
    const r = await rawExact(S, 'GET /System/Info HTTP/1.1', lines(key));
    if (legacy) assertSystemInfo(r, 'sonarr');
    else assertNoCredentials(r, 'X-MediaBrowser-Token with legacy off');
    assertNoCredentials(await rawExact(S, 'GET /System/Info HTTP/1.1', lines(randomHex(16))), 'sonarr, unknown key');
  });

  // ---- Organizr ---------------------------------------------------------------
  clientTest('organizr', 'GET /Users?api_key=<key> (the "test connection" call)', async () => {
    // causefx/Organizr@3c37516 api/homepage/jellyfin.php:68-75
    //   $url = $url . "/Users?api_key=" . $this->config['jellyfinToken'];
    //   $response = Requests::get($url, [], $options);
    //   if ($response->success) { $json = json_decode($response->body);
    //     if (is_array($json) || is_object($json)) { ... 'API Connection succeeded' }
    const key = await S.createKey('Organizr');
    const r = await rawExact(S, `GET /Users?api_key=${key} HTTP/1.1`,
      [`Host: ${hostHeader(S)}`, 'Accept: */*', 'Accept-Encoding: deflate, gzip, br', 'Connection: close']);
    if (legacy) {
      assert.equal(r.status, 200, r.body);
      assert.ok(Array.isArray(r.json), 'a JSON array of users');
      assert.ok(r.json.some((u) => u.Name === 'admin'));
    } else {
      assertNoCredentials(r, 'api_key with legacy off');
    }
  });

  // ---- jellyfin-apiclient-python ---------------------------------------------
  describe('jellyfin-apiclient-python', () => {
    // jellyfin/jellyfin-apiclient-python@b2ec0a9 jellyfin_apiclient_python/http.py:248-272
    //   params = {"Client": …, "Device": …, "DeviceId": …, "Version": …}  (when app.device_name is set)
    //   if "auth.token" in self.config.data: params["Token"] = …
    //   param_line = ", ".join(f'{k}="{v}"' for k, v in params.items())
    //   return f"MediaBrowser {param_line}"
    //   _get_default_headers: Accept, Content-type, X-Application, Accept-Charset, Accept-encoding, User-Agent, Authorization
    // requests puts its session defaults first (User-Agent, Accept-Encoding,
    // Accept, Connection), keeps their place when the call overrides them and
    // appends the others.
    const device = 'Client="Jellyfin for Kodi", Device="kodi-box", DeviceId="a1b2c3d4-e5f6", Version="1.0.0"';
    const pyHeaders = (authorization, contentType, bodyLen) => [
      `Host: ${hostHeader(S)}`,
      'User-Agent: Jellyfin for Kodi/1.0.0',
      'Accept-encoding: gzip',
      'Accept: application/json',
      'Connection: close',
      `Content-type: ${contentType}`,
      'X-Application: Jellyfin for Kodi/1.0.0',
      'Accept-Charset: UTF-8,*',
      `Authorization: ${authorization}`,
      ...(bodyLen !== undefined ? [`Content-Length: ${bodyLen}`] : []),
    ];

    clientTest('pyclient', 'login: {"username": …, "Pw": …} to Users/AuthenticateByName', async () => {
      // api.py:863-876 login(): authData = {"username": username, "Pw": password}
      //   headers.update({'Content-type': "application/json"}); data=json.dumps(authData)
      const body = `{"username": "admin", "Pw": ${JSON.stringify(S.adminPassword)}}`;
      const r = await rawExact(S, 'POST /Users/AuthenticateByName HTTP/1.1',
        pyHeaders(`MediaBrowser ${device}`, 'application/json', Buffer.byteLength(body)), body);
      assert.equal(r.status, 200, r.body);
      assert.match(r.json.AccessToken, HEX32);
      S.remember(r.json.AccessToken);
      assert.equal(r.json.SessionInfo.Client, 'Jellyfin for Kodi');
    });

    clientTest('pyclient', 'validate_authentication_token: lowercase system/info, Token appended', async () => {
      // api.py:975-981
      //   headers = self.get_default_headers()   (Content-type: application/x-www-form-urlencoded; charset=UTF-8)
      //   comma = "," if "app.device_name" in self.config.data else ""
      //   headers["Authorization"] += f"{comma} Token=\"{server['AccessToken']}\""
      //   response = self.send_request(server['address'], "system/info", headers=headers, session=session)
      const key = await S.createKey('jellyfin-apiclient-python');
      const form = 'application/x-www-form-urlencoded; charset=UTF-8';
      const withDevice = await rawExact(S, 'GET /system/info HTTP/1.1', pyHeaders(`MediaBrowser ${device}, Token="${key}"`, form));
      assertSystemInfo(withDevice, 'python client with device');
      // Without app.device_name: "MediaBrowser " + "" + " Token=…": two spaces.
      const twoSpaces = await rawExact(S, 'GET /system/info HTTP/1.1', pyHeaders(`MediaBrowser  Token="${key}"`, form));
      assertSystemInfo(twoSpaces, 'python client, two spaces');
      const pub = await rawExact(S, 'GET /system/info/public HTTP/1.1', pyHeaders('MediaBrowser ', form));
      assert.equal(pub.status, 200);
    });
  });

  // ---- jellyfin-apiclient (JavaScript) ----------------------------------------
  describe('jellyfin-apiclient (JavaScript)', () => {
    // 1.10.0 dist/jellyfin-apiclient.js setRequestHeaders (src/apiClient.js:148-179 @9d10c99):
    //   values.push(`Client="${appName}"`) … `Token="${accessToken}"` (no encoding)
    //   const auth = `MediaBrowser ${values.join(', ')}`;
    //   headers['X-Emby-Authorization'] = auth;          (1.10.0)
    //   headers.Authorization = auth                      (1.11.0)
    // authenticateUserByName (src/apiClient.js:504-518):
    //   const url = this.getUrl('Users/authenticatebyname');
    //   data: JSON.stringify({ Username: name, Pw: password || '' }), contentType: 'application/json'
    const values = 'Client="Jellyfin Web", Device="Firefox", DeviceId="TW96aWxsYS81LjAgKFgxMTsgTGludXggeDg2XzY0OyBydjoxMTUuMCk", Version="10.8.13"';
    for (const [id, header] of [['jsclient110', 'X-Emby-Authorization'], ['jsclient111', 'Authorization']]) {
      const works = id === 'jsclient111' || legacy;
      clientTest(id, `${header}: login at /Users/authenticatebyname, then System/Info and keys with Token="…"`, async () => {
        const body = JSON.stringify({ Username: 'admin', Pw: S.adminPassword });
        const login = await rawExact(S, 'POST /Users/authenticatebyname HTTP/1.1', [
          `Host: ${hostHeader(S)}`, `${header}: MediaBrowser ${values}`, 'Content-Type: application/json',
          'Accept: application/json', `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close'], body);
        const key = await S.createKey(`jellyfin-apiclient ${id}`);
        const withToken = (t) => [`Host: ${hostHeader(S)}`, `${header}: MediaBrowser ${values}, Token="${t}"`,
          'Accept: application/json', 'Connection: close'];
        if (!works) {
          assert.equal(login.status, 400, 'no client fields without X-Emby-Authorization');
          assertNoCredentials(await rawExact(S, 'GET /System/Info HTTP/1.1', withToken(key)), `${header} with legacy off`);
          return;
        }
        assert.equal(login.status, 200, login.body);
        S.remember(login.json.AccessToken);
        assert.equal(login.json.SessionInfo.Client, 'Jellyfin Web');
        assertSystemInfo(await rawExact(S, 'GET /System/Info HTTP/1.1', withToken(key)), `${id} key`);
        const keys = await rawExact(S, 'GET /Auth/Keys HTTP/1.1', withToken(login.json.AccessToken));
        assert.equal(keys.status, 200);
        assert.ok(keys.json.Items.some((k) => k.AccessToken === key));
      });
    }
  });

  // ---- every credential source, per mode --------------------------------------
  describe('credential sources for an API key', () => {
    const sources = [
      // [name, works with legacy on, works with legacy off, request builder]
      ['Authorization: MediaBrowser Token', true, true, (k) => ['/System/Info', [`Authorization: MediaBrowser Token="${k}"`]]],
      ['Authorization: Emby Token', true, false, (k) => ['/System/Info', [`Authorization: Emby Token="${k}"`]]],
      ['X-Emby-Authorization: MediaBrowser Token', true, false, (k) => ['/System/Info', [`X-Emby-Authorization: MediaBrowser Token="${k}"`]]],
      ['X-Emby-Token', true, false, (k) => ['/System/Info', [`X-Emby-Token: ${k}`]]],
      ['X-MediaBrowser-Token', true, false, (k) => ['/System/Info', [`X-MediaBrowser-Token: ${k}`]]],
      ['?api_key=', true, false, (k) => [`/System/Info?api_key=${k}`, []]],
      ['?ApiKey=', true, true, (k) => [`/System/Info?ApiKey=${k}`, []]],
      ['?apikey= (query names are case-insensitive)', true, true, (k) => [`/System/Info?apikey=${k}`, []]],
      ['Authorization: Bearer + ?ApiKey=', true, true, (k) => [`/System/Info?ApiKey=${k}`, [`Authorization: Bearer ${k}`]]],
    ];
    for (const [name, on, off, build] of sources) {
      const works = legacy ? on : off;
      clientTest('credentials', `${name}: ${works ? 200 : 401}, and 401 once revoked`, async () => {
        const key = await S.createKey(unique('cred'));
        const send = async (k) => {
          const [p, extra] = build(k);
          return rawExact(S, `GET ${p} HTTP/1.1`, [`Host: ${hostHeader(S)}`, ...extra, 'Connection: close']);
        };
        const r = await send(key);
        if (works) assertSystemInfo(r, name);
        else assertNoCredentials(r, name);
        assert.equal((await S.req('DELETE', `/Auth/Keys/${key}`, { token: await S.adminToken() })).status, 204);
        assertNoCredentials(await send(key), `${name} after revoke`);
      });
    }
  });
}
