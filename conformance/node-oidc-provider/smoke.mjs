// Smoke test of a running server.mjs, with nothing but fetch and a cookie jar: discovery, JWKS,
// the code flow through the dev login and consent pages for every static client (basic, post,
// client2, private_key_jwt), userinfo, refresh, introspection, revocation, an implicit and a
// hybrid flow, RP-initiated logout with back-channel logout, and dynamic registration.
//
//   NODE_EXTRA_CA_CERTS=CERT.pem node smoke.mjs --issuer https://127.0.0.1:9443 \
//       --rp-base http://127.0.0.1:4400
//
// --rp-base must be the one server.mjs was started with; this script listens there to receive
// the back-channel logout token. Exits non-zero on the first failure.

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    issuer: { type: 'string', default: 'https://127.0.0.1:9443' },
    'rp-base': { type: 'string', default: 'http://127.0.0.1:4400' },
    username: { type: 'string', default: 'buffy' },
    password: { type: 'string', default: 'buffy' },
  },
});
const issuer = args.issuer.replace(/\/$/, '');
const rpBase = args['rp-base'].replace(/\/$/, '');
const redirectUri = `${rpBase}/callback`;
const clients = JSON.parse(fs.readFileSync(path.join(here, 'clients.json'), 'utf8'));
const runnerKeys = JSON.parse(fs.readFileSync(path.join(here, 'runner-keys.json'), 'utf8'));

function check(condition, message) {
  if (!condition) {
    console.error(`FAIL: ${message}`);
    process.exit(1);
  }
}
const ok = (message) => console.log(`ok   ${message}`);
const b64json = (part) => JSON.parse(Buffer.from(part, 'base64url').toString());
const random = () => crypto.randomBytes(16).toString('base64url');

// --- a browser: cookie jar + manual redirects ------------------------------------------------

const jar = new Map();
async function browse(url, { method = 'GET', form } = {}) {
  const u = new URL(url);
  const cookies = [...jar.entries()].filter(([, c]) => u.pathname.startsWith(c.path))
    .map(([name, c]) => `${name}=${c.value}`).join('; ');
  const headers = { accept: 'text/html' };
  if (cookies) headers.cookie = cookies;
  let body;
  if (form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(form).toString();
  }
  const res = await fetch(url, { method, headers, body, redirect: 'manual' });
  for (const line of res.headers.getSetCookie()) {
    const [pair, ...attrs] = line.split(';');
    const [name, ...value] = pair.split('=');
    const cpath = attrs.map((a) => a.trim()).find((a) => a.toLowerCase().startsWith('path='));
    const expired = attrs.some((a) => /expires=Thu, 01 Jan 1970/i.test(a));
    if (expired) jar.delete(name.trim());
    else jar.set(name.trim(), { value: value.join('='), path: cpath ? cpath.slice(5) : '/' });
  }
  return res;
}

// Follows redirects until the RP (rpBase) is reached, logging in and consenting on the way.
// Returns the URL the OP sent the browser to on the RP side.
async function authorize(params, { method = 'GET' } = {}) {
  let url = `${issuer}/auth?${new URLSearchParams(params)}`;
  let res = method === 'POST'
    ? await browse(`${issuer}/auth`, { method: 'POST', form: params })
    : await browse(url);
  for (let hops = 0; hops < 20; hops += 1) {
    if (res.status >= 300 && res.status < 400) {
      url = new URL(res.headers.get('location'), url).href;
      if (url.startsWith(rpBase)) return url;
      res = await browse(url);
      continue;
    }
    const html = await res.text();
    check(res.status === 200, `unexpected ${res.status} at ${url}: ${html.slice(0, 300)}`);
    const action = html.match(/<form[^>]*action="([^"]+)"/)?.[1];
    if (html.includes('name="prompt" value="login"')) {
      // Selectors: input[name="login"], input[name="password"], button.login-submit
      check(html.includes('name="login"') && html.includes('name="password"') && html.includes('class="login login-submit"'), 'login page selectors');
      res = await browse(new URL(action, url).href, { method: 'POST', form: { prompt: 'login', login: args.username, password: args.password } });
    } else if (html.includes('name="prompt" value="consent"')) {
      check(html.includes('class="login login-submit"'), 'consent page selector');
      res = await browse(new URL(action, url).href, { method: 'POST', form: { prompt: 'consent' } });
    } else if (html.includes('method="post"') && url.startsWith(issuer)) {
      // form_post response: the auto-submitting form targets the RP.
      const target = html.match(/<form[^>]*action="([^"]+)"/)?.[1];
      const fields = Object.fromEntries([...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1], m[2]]));
      return { formPost: target, fields };
    } else {
      check(false, `unexpected page at ${url}: ${html.slice(0, 400)}`);
    }
  }
  check(false, 'too many redirects');
  return undefined;
}

// --- client authentication --------------------------------------------------------------------

function clientAssertion(clientId, jwk, audience) {
  const header = { alg: jwk.alg, kid: jwk.kid, typ: 'JWT' };
  const now = Math.floor(Date.now() / 1000);
  const payload = { iss: clientId, sub: clientId, aud: audience, jti: random(), iat: now, exp: now + 60 };
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  const key = crypto.createPrivateKey({ key: jwk, format: 'jwk' });
  return `${input}.${crypto.sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

function withAuth(block, endpoint, form) {
  const c = clients[block];
  const headers = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  const body = { ...form };
  switch (c.token_endpoint_auth_method) {
    case 'client_secret_basic':
      headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(c.client_id)}:${encodeURIComponent(c.client_secret)}`).toString('base64')}`;
      break;
    case 'client_secret_post':
      body.client_id = c.client_id;
      body.client_secret = c.client_secret;
      break;
    case 'private_key_jwt':
      body.client_assertion_type = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
      body.client_assertion = clientAssertion(c.client_id, runnerKeys.private_key_jwt, endpoint);
      break;
    default:
      throw new Error(c.token_endpoint_auth_method);
  }
  return { method: 'POST', headers, body: new URLSearchParams(body).toString() };
}

async function post(block, endpoint, form) {
  const res = await fetch(endpoint, withAuth(block, endpoint, form));
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = { raw: text }; }
  return { status: res.status, json, headers: res.headers };
}

// --- the run ------------------------------------------------------------------------------------

const disc = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
check(disc.issuer === issuer, `discovery issuer ${disc.issuer}`);
for (const [k, v] of Object.entries(disc)) if (k.endsWith('_endpoint')) check(v.startsWith('https://'), `${k} https`);
check(disc.backchannel_logout_session_supported === true, 'backchannel_logout_session_supported');
ok('discovery');
const jwks = await (await fetch(disc.jwks_uri)).json();
check(jwks.keys.every((k) => k.kid && !k.d), 'JWKS: every key has a kid, no private parts');
ok(`jwks (${jwks.keys.length} keys)`);

function verifyIdToken(idToken, clientId, nonce) {
  const [h, p, s] = idToken.split('.');
  const header = b64json(h);
  const claims = b64json(p);
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  check(jwk, `ID token kid ${header.kid} in JWKS`);
  check(header.alg === 'RS256', `ID token alg ${header.alg}`);
  const valid = crypto.verify('sha256', Buffer.from(`${h}.${p}`), crypto.createPublicKey({ key: jwk, format: 'jwk' }), Buffer.from(s, 'base64url'));
  check(valid, 'ID token signature');
  check(claims.iss === issuer, 'ID token iss');
  check(claims.aud === clientId || claims.aud?.includes?.(clientId), 'ID token aud');
  if (nonce) check(claims.nonce === nonce, 'ID token nonce');
  return claims;
}

const SCOPE = 'openid profile email address phone offline_access';
let lastIdToken;
let firstSub;

for (const block of ['client', 'client_secret_post', 'client2', 'client_private_key_jwt']) {
  const { client_id: clientId } = clients[block];
  const state = random();
  const nonce = random();
  const back = await authorize({
    client_id: clientId, redirect_uri: redirectUri, response_type: 'code', scope: SCOPE, state, nonce, prompt: 'consent',
  });
  const cb = new URL(back);
  check(cb.searchParams.get('state') === state, `${block}: state`);
  check(cb.searchParams.get('iss') === issuer, `${block}: iss in the authorization response`);
  const code = cb.searchParams.get('code');
  check(code, `${block}: code (${back})`);
  const tok = await post(block, disc.token_endpoint, { grant_type: 'authorization_code', code, redirect_uri: redirectUri });
  check(tok.status === 200, `${block}: token ${tok.status} ${JSON.stringify(tok.json)}`);
  check(tok.json.access_token && tok.json.id_token && tok.json.refresh_token, `${block}: access, ID and refresh tokens`);
  const idt = verifyIdToken(tok.json.id_token, clientId, nonce);
  check(idt.sid, `${block}: sid in the ID token ${JSON.stringify(idt)}`);
  firstSub ??= idt.sub;
  check(idt.sub === firstSub, `${block}: same sub`);
  lastIdToken = tok.json.id_token;
  const ui = await fetch(disc.userinfo_endpoint, { headers: { authorization: `Bearer ${tok.json.access_token}` } });
  const claims = await ui.json();
  check(ui.status === 200 && claims.sub === idt.sub, `${block}: userinfo ${ui.status}`);
  const missing = ['name', 'given_name', 'family_name', 'middle_name', 'nickname', 'preferred_username', 'profile', 'picture', 'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'updated_at', 'email', 'email_verified', 'address', 'phone_number', 'phone_number_verified'].filter((c) => !(c in claims));
  check(missing.length === 0, `${block}: userinfo lacks ${missing}`);
  const ref = await post(block, disc.token_endpoint, { grant_type: 'refresh_token', refresh_token: tok.json.refresh_token });
  check(ref.status === 200 && ref.json.access_token, `${block}: refresh ${ref.status} ${JSON.stringify(ref.json)}`);
  check(/no-store/.test(ref.headers.get('cache-control') ?? ''), `${block}: refresh Cache-Control no-store`);
  const intro = await post(block, disc.introspection_endpoint, { token: ref.json.access_token });
  check(intro.status === 200 && intro.json.active === true, `${block}: introspection ${JSON.stringify(intro.json)}`);
  const rev = await post(block, disc.revocation_endpoint, { token: ref.json.access_token });
  check(rev.status === 200, `${block}: revocation ${rev.status}`);
  const intro2 = await post(block, disc.introspection_endpoint, { token: ref.json.access_token });
  check(intro2.json.active === false, `${block}: revoked token inactive`);
  ok(`${block} (${clientId}, ${clients[block].token_endpoint_auth_method}): code flow, userinfo, refresh, introspection, revocation`);
}

// A replayed code is refused (400 invalid_grant).
{
  const state = random();
  const back = new URL(await authorize({ client_id: clients.client.client_id, redirect_uri: redirectUri, response_type: 'code', scope: 'openid', state, nonce: random() }));
  const code = back.searchParams.get('code');
  const first = await post('client', disc.token_endpoint, { grant_type: 'authorization_code', code, redirect_uri: redirectUri });
  const again = await post('client', disc.token_endpoint, { grant_type: 'authorization_code', code, redirect_uri: redirectUri });
  check(first.status === 200 && again.status === 400 && again.json.error === 'invalid_grant', `code replay: ${again.status} ${JSON.stringify(again.json)}`);
  ok('code reuse refused (SSO session reused, no login page)');
}

// Implicit and hybrid flows: the response is in the fragment.
for (const responseType of ['id_token', 'id_token token', 'code id_token', 'code token', 'code id_token token']) {
  const state = random();
  const nonce = random();
  const back = new URL(await authorize({ client_id: clients.client.client_id, redirect_uri: redirectUri, response_type: responseType, scope: 'openid', state, nonce }));
  const frag = new URLSearchParams(back.hash.slice(1));
  const parts = new Set(responseType.split(' '));
  check(frag.get('state') === state, `${responseType}: state in the fragment (${back})`);
  if (parts.has('id_token')) {
    const idt = verifyIdToken(frag.get('id_token'), clients.client.client_id, nonce);
    if (parts.has('token')) check(idt.at_hash, `${responseType}: at_hash`);
    if (parts.has('code')) check(idt.c_hash, `${responseType}: c_hash`);
  }
  if (parts.has('code')) check(frag.get('code'), `${responseType}: code`);
  if (parts.has('token')) check(frag.get('access_token'), `${responseType}: access_token`);
}
ok('implicit and hybrid response types (fragment)');

// form_post and POST to the authorization endpoint.
{
  const state = random();
  const res = await authorize({ client_id: clients.client.client_id, redirect_uri: redirectUri, response_type: 'code', response_mode: 'form_post', scope: 'openid', state, nonce: random() }, { method: 'POST' });
  check(res.formPost === redirectUri && res.fields.state === state && res.fields.code, `form_post: ${JSON.stringify(res)}`);
  ok('POST to the authorization endpoint, response_mode=form_post');
}

// prompt=none with the session: silent success.
{
  const state = random();
  const back = new URL(await authorize({ client_id: clients.client.client_id, redirect_uri: redirectUri, response_type: 'code', scope: 'openid', state, nonce: random(), prompt: 'none' }));
  check(back.searchParams.get('code'), `prompt=none logged in: ${back}`);
  ok('prompt=none while logged in');
}

// RP-initiated logout with back-channel logout.
{
  const rp = new URL(rpBase);
  let logoutToken;
  const listener = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      if (req.url === '/backchannel_logout') logoutToken = new URLSearchParams(body).get('logout_token');
      res.writeHead(200, { 'cache-control': 'no-store' }).end();
    });
  });
  await new Promise((resolve, reject) => listener.listen(Number(rp.port || 80), rp.hostname, resolve).on('error', reject));
  const state = random();
  const endUrl = `${disc.end_session_endpoint}?${new URLSearchParams({ id_token_hint: lastIdToken, post_logout_redirect_uri: `${rpBase}/post_logout_redirect`, state })}`;
  let res = await browse(endUrl);
  let html = await res.text();
  check(res.status === 200 && html.includes('name="logout"') && html.includes('value="yes"'), 'logout confirmation page: button[name="logout"][value="yes"]');
  const action = html.match(/<form[^>]*action="([^"]+)"/)[1];
  const fields = Object.fromEntries([...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  res = await browse(new URL(action, endUrl).href, { method: 'POST', form: { ...fields, logout: 'yes' } });
  let loc = res.headers.get('location');
  while (res.status >= 300 && res.status < 400 && !loc.startsWith(rpBase)) {
    res = await browse(new URL(loc, endUrl).href);
    loc = res.headers.get('location');
  }
  const after = new URL(loc);
  check(after.pathname === '/post_logout_redirect' && after.searchParams.get('state') === state, `post-logout redirect: ${loc}`);
  for (let i = 0; i < 50 && !logoutToken; i += 1) await new Promise((r) => { setTimeout(r, 100); });
  listener.close();
  check(logoutToken, 'back-channel logout token received');
  const lt = b64json(logoutToken.split('.')[1]);
  check(lt.iss === issuer && lt.sid && lt.events?.['http://schemas.openid.net/event/backchannel-logout'] && !lt.nonce, `logout token claims ${JSON.stringify(lt)}`);
  const none = new URL(await authorize({ client_id: clients.client.client_id, redirect_uri: redirectUri, response_type: 'code', scope: 'openid', state: 's', nonce: 'n', prompt: 'none' }));
  check(none.searchParams.get('error') === 'login_required', `prompt=none after logout: ${none}`);
  ok('RP-initiated logout, back-channel logout token, prompt=none afterwards gives login_required');
}

// Dynamic registration (RFC 7591) and deletion (RFC 7592).
{
  const res = await fetch(disc.registration_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'smoke', redirect_uris: [redirectUri], response_types: ['code'], grant_types: ['authorization_code'], token_endpoint_auth_method: 'client_secret_basic', contacts: ['smoke@example.com'] }),
  });
  const reg = await res.json();
  check(res.status === 201 && reg.client_id && reg.client_secret && reg.registration_access_token, `registration ${res.status} ${JSON.stringify(reg)}`);
  const del = await fetch(reg.registration_client_uri, { method: 'DELETE', headers: { authorization: `Bearer ${reg.registration_access_token}` } });
  check(del.status === 204, `registration delete ${del.status}`);
  ok('dynamic registration and deletion');
}

console.log('all ok');
