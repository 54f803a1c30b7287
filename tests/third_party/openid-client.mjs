// A relying party built on openid-client 6 (panva; OpenID-certified, strict by default) logs in
// to identita, reads userinfo, refreshes, revokes and logs out. The only setting changed from
// the defaults is allowInsecureRequests, because the test server is plain http on loopback.
//
// Usage: node openid-client.mjs ISSUER CLIENT_ID CLIENT_SECRET REDIRECT_URI POST_LOGOUT_URI USERNAME PASSWORD
// Prints one JSON line with what it saw; exits non-zero on any failure.
import * as client from 'openid-client';

const [issuer, clientId, clientSecret, redirectUri, postLogoutUri, username, password] = process.argv.slice(2);

// --- a minimal browser: cookies, manual redirects, form filling -----------------------------
const cookies = new Map();
function remember(response) {
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const eq = pair.indexOf('=');
    cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  }
}
function cookieHeader() {
  return [...cookies].filter(([, v]) => v !== '').map(([k, v]) => `${k}=${v}`).join('; ');
}
async function browse(url, init = {}) {
  let response = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers || {}), cookie: cookieHeader() } });
  remember(response);
  while (response.status >= 300 && response.status < 400) {
    const next = new URL(response.headers.get('location'), url).href;
    if (!next.startsWith(issuer)) return { redirect: next };
    url = next;
    response = await fetch(url, { redirect: 'manual', headers: { cookie: cookieHeader() } });
    remember(response);
  }
  return { url, status: response.status, html: await response.text() };
}
const unescape = (s) => s.replaceAll('&#34;', '"').replaceAll('&#39;', "'").replaceAll('&#38;', '&').replaceAll('&#60;', '<').replaceAll('&#62;', '>');
async function submit(page, formId, fields) {
  const start = page.html.indexOf(`id="${formId}"`);
  if (start < 0) throw new Error(`no form #${formId} on ${page.url} (HTTP ${page.status})`);
  const open = page.html.lastIndexOf('<form', start);
  const form = page.html.slice(open, page.html.indexOf('</form>', open));
  const action = new URL(unescape(/action="([^"]*)"/.exec(form)[1]), page.url).href;
  const body = new URLSearchParams();
  for (const input of form.matchAll(/<input[^>]*type="hidden"[^>]*>/g)) {
    const name = /name="([^"]*)"/.exec(input[0]);
    const value = /value="([^"]*)"/.exec(input[0]);
    if (name) body.append(unescape(name[1]), value ? unescape(value[1]) : '');
  }
  for (const [k, v] of Object.entries(fields)) body.append(k, v);
  return browse(action, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
}

// --- the relying party ------------------------------------------------------------------------
const config = await client.discovery(new URL(issuer), clientId, clientSecret, undefined, {
  execute: [client.allowInsecureRequests],
});
const codeVerifier = client.randomPKCECodeVerifier();
const state = client.randomState();
const nonce = client.randomNonce();
const authorizationUrl = client.buildAuthorizationUrl(config, {
  redirect_uri: redirectUri,
  scope: 'openid profile email offline_access',
  prompt: 'consent',
  code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
  code_challenge_method: 'S256',
  state,
  nonce,
});

let page = await browse(authorizationUrl.href);
page = await submit(page, 'login', { username, password });
page = await submit(page, 'consent', { decision: 'allow' });
if (!page.redirect) throw new Error(`expected a redirect to the client, got HTTP ${page.status}`);

const tokens = await client.authorizationCodeGrant(config, new URL(page.redirect), {
  pkceCodeVerifier: codeVerifier,
  expectedState: state,
  expectedNonce: nonce,
  idTokenExpected: true,
});
const claims = tokens.claims();
const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
const refreshedUserinfo = await client.fetchUserInfo(config, refreshed.access_token, claims.sub);
await client.tokenRevocation(config, refreshed.refresh_token, { token_type_hint: 'refresh_token' });
let refreshAfterRevocation = 'accepted';
try {
  await client.refreshTokenGrant(config, refreshed.refresh_token);
} catch (e) {
  refreshAfterRevocation = e.error || e.code || 'rejected';
}

const logoutState = client.randomState();
const endSession = client.buildEndSessionUrl(config, {
  id_token_hint: tokens.id_token,
  post_logout_redirect_uri: postLogoutUri,
  state: logoutState,
});
const logout = await browse(endSession.href);
const afterLogout = logout.redirect ? new URL(logout.redirect) : null;

console.log(JSON.stringify({
  sub: claims.sub,
  iss: claims.iss,
  email: userinfo.email,
  refreshed_sub: refreshedUserinfo.sub,
  refreshed_id_token: Boolean(refreshed.id_token),
  refresh_after_revocation: refreshAfterRevocation,
  logout_redirect: afterLogout ? afterLogout.origin + afterLogout.pathname : null,
  logout_state_ok: afterLogout ? afterLogout.searchParams.get('state') === logoutState : false,
}));
