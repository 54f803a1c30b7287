// A portal's relying party on openid-client 6 (panva; OpenID-certified, strict by default),
// configured for NIA ("Identita občana") as its portal developers have to:
//
// - NIA's issuer is a URN (urn:microsoft:cgg2010:fpsts) and its discovery document is not at
//   <issuer>/.well-known/openid-configuration, so client.discovery() cannot find it (given the
//   document's own URL it would look under it for /.well-known/). The portal fetches the document
//   and constructs the Configuration from it; the issuer is then compared as a string, which a
//   URN passes.
// - The ID token is a JWE (RSA-OAEP, A256CBC-HS512, no kid) to the portal's registered key:
//   client.enableDecryptingResponses() with the portal's private key opens it, then the inner
//   RS256 JWS is checked against NIA's jwks_uri as usual.
// - openid-client requires `sub` in every ID token, and NIA sends `sub` only when the `claims`
//   parameter names it (its value is then the PersonIdentifier). So the portal names `sub`; the
//   first sign-in here shows the refusal without it.
// - userinfo answers {}, which fetchUserInfo() refuses even with client.skipSubjectCheck (it
//   wants a `sub`): a NIA portal does not call it; the attributes are all in the ID token.
// - client_secret_post is the default with a secret (NIA ignores it); PKCE is sent, as the
//   library's documentation does, and NIA ignores code_verifier; state is added because NIA's
//   discovery advertises no PKCE.
//
// Usage: node nia-openid-client.mjs DISCOVERY_URL CLIENT_ID CLIENT_SECRET REDIRECT_URI PRIVATE_JWK_FILE
// Prints `open: <URL>` for each page a browser must visit and reads the address it came back to
// from stdin; then prints one JSON line with what it saw; exits non-zero on any failure.
import * as client from 'openid-client';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const [discoveryUrl, clientId, clientSecret, redirectUri, keyFile] = process.argv.slice(2);

const lines = createInterface({ input: process.stdin });
const stdin = lines[Symbol.asyncIterator]();
async function visit(url) {
  console.log(`open: ${url.href}`);
  const { value, done } = await stdin.next();
  if (done) throw new Error('no address came back');
  return new URL(value.trim());
}

// --- the configuration a NIA portal needs -----------------------------------------------------
const response = await fetch(discoveryUrl, { headers: { accept: 'application/json' } });
if (!response.ok) throw new Error(`discovery: HTTP ${response.status}`);
const config = new client.Configuration(await response.json(), clientId, clientSecret);
client.allowInsecureRequests(config); // only because the test server is plain http on loopback
const privateJwk = JSON.parse(readFileSync(keyFile, 'utf8'));
const portalKey = await crypto.subtle.importKey('jwk', privateJwk, { name: 'RSA-OAEP', hash: 'SHA-1' }, false, [
  'decrypt',
]);
client.enableDecryptingResponses(config, ['A256CBC-HS512'], portalKey);

async function signIn(claims) {
  const codeVerifier = client.randomPKCECodeVerifier();
  const nonce = client.randomNonce();
  const parameters = {
    redirect_uri: redirectUri,
    scope: 'openid',
    claims: JSON.stringify(claims),
    nonce,
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
  };
  let state;
  if (!config.serverMetadata().supportsPKCE()) {
    state = parameters.state = client.randomState();
  }
  const back = await visit(client.buildAuthorizationUrl(config, parameters));
  return client.authorizationCodeGrant(config, back, {
    pkceCodeVerifier: codeVerifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
}

const attributes = { PersonIdentifier: null, CurrentGivenName: null, CurrentFamilyName: null, DateOfBirth: null };

// Without `sub` named: the JWE is opened, then the ID token refused.
let withoutSub = 'accepted';
try {
  await signIn({ id_token: attributes });
} catch (e) {
  withoutSub = `${e.code}: ${e.cause?.message ?? e.message}`;
}

const tokens = await signIn({ id_token: { sub: null, ...attributes } });
const claims = tokens.claims();
// NIA's userinfo answers {}; openid-client refuses a userinfo response without `sub`.
let userinfo;
try {
  userinfo = await client.fetchUserInfo(config, tokens.access_token, client.skipSubjectCheck);
} catch (e) {
  userinfo = `${e.code}: ${e.cause?.message ?? e.message}`;
}

const logoutState = client.randomState();
const loggedOut = await visit(client.buildEndSessionUrl(config, { state: logoutState }));

console.log(
  JSON.stringify({
    without_sub: withoutSub,
    claims,
    userinfo,
    logout_redirect: loggedOut.origin + loggedOut.pathname,
    logout_state_ok: loggedOut.searchParams.get('state') === logoutState,
  }),
);
lines.close();
