// Offline checks of the deployment files, run by `make test`:
//
//  - every Kubernetes object of deploy/kubernetes (the kustomization's
//    resources and generated ConfigMaps) against the Kubernetes schema
//    (npm kubernetes-models, pinned in package-lock.json);
//  - production rules on them: probes, resources, no inline secret, non-root;
//  - docker-compose.yml with `docker compose config` (or `docker-compose
//    config`) when a Docker Compose client is present, skipped with a message
//    otherwise; and its agreement with the Kubernetes files on ports, env
//    names and probe paths;
//  - both nginx configurations against nginx/keyfin.conf.in: the same
//    redacting log format, limits and 502/504 -> 503, no POST replay.
//
// Prints one line per check and "N passed, N failed, N skipped"; exits 1 on
// any failure.

import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const K8S = path.join(ROOT, 'deploy', 'kubernetes');
const COMPOSE = path.join(ROOT, 'docker-compose.yml');

let passed = 0;
let failed = 0;
let skipped = 0;
async function check(name, fn) {
  try {
    const r = await fn();
    if (r && r.skip) {
      skipped += 1;
      console.log(`skip - ${name}: ${r.skip}`);
    } else {
      passed += 1;
      console.log(`ok - ${name}`);
    }
  } catch (e) {
    failed += 1;
    console.log(`not ok - ${name}\n  ${String(e.message || e).split('\n').join('\n  ')}`);
  }
}
function expect(cond, msg) { if (!cond) throw new Error(msg); }
const read = (p) => fs.readFileSync(p, 'utf8');

// ---- Kubernetes -------------------------------------------------------------

async function modelFor(apiVersion, kind) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const mod = await import(group ? `kubernetes-models/${group}/${version}` : `kubernetes-models/${version}`);
  expect(mod[kind], `no schema for ${apiVersion} ${kind}`);
  return mod[kind];
}

const kustomization = YAML.parse(read(path.join(K8S, 'kustomization.yaml')));
const objects = [];
for (const file of kustomization.resources) {
  for (const doc of YAML.parseAllDocuments(read(path.join(K8S, file)))) {
    expect(doc.errors.length === 0, `${file}: ${doc.errors.join('; ')}`);
    const obj = doc.toJS();
    if (obj) objects.push({ file, obj });
  }
}
for (const gen of kustomization.configMapGenerator || []) {
  const data = {};
  for (const f of gen.files || []) data[path.basename(f)] = read(path.join(K8S, f));
  for (const l of gen.literals || []) data[l.slice(0, l.indexOf('='))] = l.slice(l.indexOf('=') + 1);
  objects.push({ file: `configMapGenerator ${gen.name}`, obj: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: gen.name }, data } });
}
const byKind = (kind) => objects.filter((o) => o.obj.kind === kind).map((o) => o.obj);

for (const { file, obj } of objects) {
  await check(`schema: ${file}: ${obj.kind} ${obj.metadata?.name}`, async () => {
    const Model = await modelFor(obj.apiVersion, obj.kind);
    new Model(obj).validate();
  });
}

const deployment = byKind('Deployment').find((d) => d.metadata.name === 'keyfin');
const job = byKind('Job')[0];
const configMap = byKind('ConfigMap').find((c) => c.metadata.name === 'keyfin-config');

await check('kubernetes: the objects a production deployment needs are there', () => {
  for (const kind of ['Deployment', 'Service', 'Job', 'PodDisruptionBudget', 'Ingress']) {
    expect(byKind(kind).length >= 1, `no ${kind}`);
  }
  expect(deployment, 'no Deployment keyfin');
  expect(deployment.spec.replicas >= 2, 'at least 2 replicas');
  const pdb = byKind('PodDisruptionBudget')[0];
  expect(pdb.spec.minAvailable < deployment.spec.replicas, 'the PDB lets a node drain (minAvailable < replicas)');
});

const podSpecs = [deployment.spec.template.spec, job.spec.template.spec];
await check('kubernetes: every container has resource requests and limits, runs as non-root, no privilege escalation', () => {
  for (const spec of podSpecs) {
    expect(spec.securityContext?.runAsNonRoot === true, 'pod runAsNonRoot');
    for (const c of [...(spec.initContainers || []), ...spec.containers]) {
      for (const r of ['cpu', 'memory']) {
        expect(c.resources?.requests?.[r] && c.resources?.limits?.[r], `${c.name}: ${r} request and limit`);
      }
      expect(c.securityContext?.allowPrivilegeEscalation === false, `${c.name}: allowPrivilegeEscalation false`);
    }
  }
});

await check('kubernetes: secrets are referenced, never inlined', () => {
  expect(byKind('Secret').length === 0, 'a Secret object is in the manifests');
  for (const spec of podSpecs) {
    for (const c of [...(spec.initContainers || []), ...spec.containers]) {
      for (const e of c.env || []) {
        expect(!/SECRET$|PASSWORD|DATABASE_URL/.test(e.name) || e.valueFrom || /_FILE$/.test(e.name),
          `${c.name}: ${e.name} has an inline value`);
      }
    }
  }
  for (const [k] of Object.entries(configMap.data)) expect(!/SECRET$|PASSWORD/.test(k), `ConfigMap holds ${k}`);
});

const keyfinC = deployment.spec.template.spec.containers.find((c) => c.name === 'keyfin');
const nginxC = deployment.spec.template.spec.containers.find((c) => c.name === 'nginx');
await check('kubernetes: keyfin probes are HTTP through the nginx sidecar: /health/live and /health/ready', () => {
  const httpPort = nginxC.ports.find((p) => p.name === 'http');
  expect(httpPort.containerPort === 8096, 'nginx sidecar on 8096');
  expect(keyfinC.livenessProbe.httpGet.path === '/health/live', 'liveness /health/live');
  expect(keyfinC.readinessProbe.httpGet.path === '/health/ready', 'readiness /health/ready');
  expect(keyfinC.startupProbe?.httpGet?.path === '/health/live', 'startup /health/live');
  for (const p of [keyfinC.livenessProbe, keyfinC.readinessProbe]) expect(p.httpGet.port === 'http', 'probe on the sidecar port');
  expect(deployment.spec.template.spec.terminationGracePeriodSeconds > 30, 'grace period > keyfin\'s 30 s drain');
});

// ---- nginx configurations -----------------------------------------------------

function block(text, start) {
  const i = text.indexOf(start);
  expect(i >= 0, `missing: ${start}`);
  let end;
  if (start.startsWith('log_format')) {
    end = text.indexOf("}';", i);
  } else {
    // to the brace that closes this block
    let depth = 0;
    for (end = i; end < text.length; end++) {
      if (text[end] === '{') depth++;
      else if (text[end] === '}' && --depth === 0) break;
    }
  }
  return text.slice(i, end).replace(/^\s+/gm, '');
}
const template = read(path.join(ROOT, 'nginx', 'keyfin.conf.in'));
for (const conf of ['deploy/compose/nginx.conf', 'deploy/kubernetes/nginx.conf']) {
  await check(`${conf}: the redaction map, log format, limits and 503 of nginx/keyfin.conf.in`, () => {
    const text = read(path.join(ROOT, conf));
    for (const start of ['map $uri $keyfin_log_path {', 'log_format keyfin escape=json']) {
      expect(block(text, start) === block(template, start), `"${start}" differs from nginx/keyfin.conf.in`);
    }
    for (const directive of ['client_max_body_size', 'client_body_buffer_size', 'large_client_header_buffers',
      'client_body_timeout', 'fastcgi_read_timeout', 'fastcgi_max_temp_file_size', 'error_page 502 504']) {
      const want = template.match(new RegExp(`^\\s*${directive}[^\\n]*`, 'm'))?.[0].trim();
      expect(want, `template has ${directive}`);
      expect(text.includes(want), `${directive}: want "${want}"`);
    }
    expect(/access_log \S+ keyfin;/.test(text), 'access log in the keyfin format');
    const code = text.replace(/#.*$/gm, '');
    expect(!/non_idempotent/.test(code), 'a POST is never replayed (no non_idempotent)');
    expect(/^error_log \S+ alert;/m.test(text), 'error log at alert (it would copy request lines)');
    const metrics = 'location ~* ^/((emby|mediabrowser)/)?metrics/*$ {';
    expect(block(text, metrics).replace(/fastcgi_pass [^;]*;/, '') ===
      block(template, metrics).replace(/fastcgi_pass [^;]*;/, ''),
      '/metrics guarded as in nginx/keyfin.conf.in (internal addresses only)');
    const login = 'location ~* ^/((emby|mediabrowser)/)?users/authenticatebyname/*$ {';
    expect(block(text, login).replace(/fastcgi_pass [^;]*;/, '') ===
      block(template, login).replace(/fastcgi_pass [^;]*;/, ''), 'logins rate-limited as in nginx/keyfin.conf.in');
    expect(/limit_req_zone \$binary_remote_addr zone=keyfin_login:10m rate=10r\/s;/.test(text), 'the login zone');
    const web = 'location /web/ {';
    expect(block(text, web).replace(/alias [^;]*;/, '') === block(template, web).replace(/alias [^;]*;/, ''),
      'the admin page at /web/ served as in nginx/keyfin.conf.in');
    expect(!/^\s*http2 on;|\sresolve[\s;]/m.test(code), 'no `http2 on;` / `server ... resolve`: Debian 12\'s nginx 1.22 must run it');
    expect(!/\$request_uri[^;]*;\s*$/m.test(text.split('\n').filter((l) => /log_format|^\s*'/.test(l)).join('\n')),
      'no $request_uri in the log format');
  });
}

// ---- docker compose -----------------------------------------------------------

const compose = YAML.parse(read(COMPOSE));
const keyfinEnv = compose.services.keyfin.environment;

await check('docker-compose.yml: images pinned, secrets from files, replicas, migrate before serve', () => {
  for (const [name, svc] of Object.entries(compose.services)) {
    if (!svc.image) continue;
    expect(/:[^:/]+$/.test(svc.image) && !/:latest$/.test(svc.image), `${name}: image ${svc.image} pinned`);
  }
  expect(compose.services.keyfin.deploy.replicas >= 2, 'several keyfin replicas');
  expect(compose.services.keyfin.depends_on.migrate.condition === 'service_completed_successfully', 'serve after migrate');
  expect(compose.services.migrate.depends_on.postgres.condition === 'service_healthy', 'migrate after a healthy PostgreSQL');
  expect(compose.services.postgres.healthcheck, 'PostgreSQL healthcheck');
  for (const [name, s] of Object.entries(compose.secrets)) expect(s.file && !s.environment, `secret ${name} is a file`);
  for (const [name, svc] of Object.entries(compose.services)) {
    for (const [k, v] of Object.entries(svc.environment || {})) {
      expect(!/PASSWORD$|^KEYFIN_SECRET$/.test(k), `${name}: ${k} set inline`);
      expect(!/:\/\/[^/@]*:[^/@]*@/.test(String(v)), `${name}: ${k} holds a password`);
    }
  }
});

await check('compose and kubernetes agree: FastCGI port, env names, HTTP port, probe paths', () => {
  const port = (listen) => listen.slice(listen.lastIndexOf(':') + 1);
  expect(port(keyfinEnv.KEYFIN_LISTEN) === '9000', `compose KEYFIN_LISTEN ${keyfinEnv.KEYFIN_LISTEN}`);
  expect(port(configMap.data.KEYFIN_LISTEN) === '9000', `kubernetes KEYFIN_LISTEN ${configMap.data.KEYFIN_LISTEN}`);
  expect(keyfinC.ports.some((p) => p.containerPort === 9000), 'kubernetes containerPort 9000');
  expect(compose.services.keyfin.expose.map(String).includes('9000'), 'compose exposes 9000');
  const k8sEnv = new Set([...Object.keys(configMap.data), ...keyfinC.env.map((e) => e.name)]);
  const composeEnv = new Set(Object.keys(keyfinEnv).filter((k) => k.startsWith('KEYFIN_')));
  const onlyCompose = [...composeEnv].filter((k) => !k8sEnv.has(k));
  const onlyK8s = [...k8sEnv].filter((k) => !composeEnv.has(k));
  expect(onlyCompose.length === 0 && onlyK8s.length === 0,
    `KEYFIN_* names differ: only in compose ${onlyCompose}, only in kubernetes ${onlyK8s}`);
  expect(compose.services.nginx.ports.some((p) => String(p).endsWith(':8096')), 'compose nginx on 8096');
  expect(read(path.join(K8S, 'nginx.conf')).includes('listen 8096;'), 'kubernetes nginx on 8096');
  const hc = compose.services.nginx.healthcheck.test.join(' ');
  expect(hc.includes(`:8096${keyfinC.readinessProbe.httpGet.path}`), `compose healthcheck uses ${keyfinC.readinessProbe.httpGet.path}`);
  expect(/set \$keyfin_upstream keyfin:9000;/.test(read(path.join(ROOT, 'deploy', 'compose', 'nginx.conf'))), 'compose nginx upstream keyfin:9000');
  expect(/server 127\.0\.0\.1:9000 /.test(read(path.join(K8S, 'nginx.conf'))), 'sidecar upstream 127.0.0.1:9000');
});

// `docker compose config -q` (or docker-compose's) on FILE, with ENV added.
function composeConfig(file, env = {}) {
  const tries = [
    ['docker', ['compose', '-f', file, 'config', '-q']],
    ['docker-compose', ['-f', file, 'config', '-q']],
  ];
  const errors = [];
  for (const [cmd, args] of tries) {
    try {
      execFileSync(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000, env: { ...process.env, ...env } });
      console.log(`  (checked with ${cmd}${cmd === 'docker' ? ' compose' : ''})`);
      return undefined;
    } catch (e) {
      const err = e.stderr?.toString() || e.message;
      // a client that is absent, or docker without the compose plugin
      if (e.code === 'ENOENT' || /unknown command|is not a docker command|unknown shorthand flag/.test(err)) continue;
      errors.push(`${cmd}: ${err}`);
    }
  }
  if (errors.length) throw new Error(errors.join('\n'));
  return { skip: 'no Docker Compose client (docker compose / docker-compose): install Debian\'s docker-compose to check the file' };
}

await check('docker-compose.yml: `docker compose config` accepts it', () => composeConfig(COMPOSE));
await check('deploy/jellyfin-front/docker-compose.yml (front mode): `docker compose config` accepts it', () =>
  composeConfig(path.join(ROOT, 'deploy', 'jellyfin-front', 'docker-compose.yml'), { KEYFIN_UPSTREAM: 'http://jellyfin:8096' }));

await check('Dockerfile: multi-stage bookworm, runtime libraries only, non-root, keyfin serve on 0.0.0.0:9000', () => {
  const df = read(path.join(ROOT, 'Dockerfile'));
  expect((df.match(/^FROM /gm) || []).length >= 2, 'multi-stage');
  expect(/debian:12[.\d]*-slim|debian:bookworm/.test(df), 'Debian 12 base');
  const runtime = df.slice(df.lastIndexOf('\nFROM '));
  for (const lib of ['libfcgi0ldbl', 'libsodium23', 'libjson-c5', 'libpq5']) expect(runtime.includes(lib), `runtime has ${lib}`);
  expect(!/-dev\b|gcc|make /.test(runtime.replace(/^#.*$/gm, '')), 'no build tools in the runtime stage');
  expect(/^USER 10001/m.test(runtime), 'non-root USER');
  expect(/ENTRYPOINT \["\/usr\/local\/bin\/keyfin"\]/.test(runtime) && /CMD \["serve"\]/.test(runtime), 'ENTRYPOINT keyfin, CMD serve');
  expect(/KEYFIN_LISTEN=0\.0\.0\.0:9000/.test(runtime), 'KEYFIN_LISTEN=0.0.0.0:9000');
  expect(!/KEYFIN_SECRET|PASSWORD/.test(df.replace(/^#.*$/gm, '')), 'no secret in the image');
  const ignore = read(path.join(ROOT, '.dockerignore')).split('\n');
  for (const p of ['var', '.git', 'build']) expect(ignore.includes(p), `.dockerignore keeps out ${p}`);
});

console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exitCode = failed ? 1 : 0;
