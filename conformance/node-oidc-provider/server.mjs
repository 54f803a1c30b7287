// A known-good OpenID Provider for the identita conformance runner: node-oidc-provider (panva,
// OpenID-certified) configured the way the OIDF conformance suite expects an OP to be: static
// clients for client_secret_basic, client_secret_post, a second client and private_key_jwt;
// dynamic registration; its built-in ("dev") login and consent pages; one test account with
// every standard claim. Test use only: in-memory state, keys generated at each start.
//
//   node server.mjs --port 9443 --issuer https://127.0.0.1:9443 --cert CERT.pem --key KEY.pem \
//       [--rp-base http://127.0.0.1:4400] [--clients clients.json] [--host 127.0.0.1]
//
// Prints "listening" on standard output once it accepts connections.

import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const here = path.dirname(fileURLToPath(import.meta.url));

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '9443' },
    host: { type: 'string', default: '127.0.0.1' },
    issuer: { type: 'string' },
    cert: { type: 'string' },
    key: { type: 'string' },
    'rp-base': { type: 'string', default: 'http://127.0.0.1:4400' },
    clients: { type: 'string', default: path.join(here, 'clients.json') },
  },
  strict: true,
});

function die(message) {
  console.error(`server.mjs: ${message}`);
  process.exit(2);
}

if (!args.cert || !args.key) die('--cert and --key (PEM files) are required: the suite needs https');
const port = Number(args.port);
if (!Number.isInteger(port) || port <= 0 || port > 65535) die(`bad --port ${args.port}`);
const issuer = (args.issuer ?? `https://127.0.0.1:${port}`).replace(/\/$/, '');
if (!issuer.startsWith('https://')) die('--issuer must be an https URL');
const rpBase = args['rp-base'].replace(/\/$/, '');

// ---------------------------------------------------------------------------------------------
// Static clients (clients.json, shared with runner.toml), completed with the RP endpoints.

const ALL_RESPONSE_TYPES = [
  'code',
  'id_token',
  'id_token token',
  'code id_token',
  'code token',
  'code id_token token',
];

const clientFile = JSON.parse(fs.readFileSync(args.clients, 'utf8'));
const clients = Object.entries(clientFile)
  .filter(([block]) => !block.startsWith('_'))
  .map(([, metadata]) => ({
    redirect_uris: [`${rpBase}/callback`],
    post_logout_redirect_uris: [`${rpBase}/post_logout_redirect`],
    backchannel_logout_uri: `${rpBase}/backchannel_logout`,
    backchannel_logout_session_required: true,
    response_types: ALL_RESPONSE_TYPES,
    grant_types: ['authorization_code', 'implicit', 'refresh_token'],
    ...metadata,
  }));

// ---------------------------------------------------------------------------------------------
// The test account: any login name and any non-empty password sign in (devInteractions); the
// login name becomes `sub`. Every standard claim of OpenID Connect Core §5.1.

const PROFILE = {
  name: 'Buffy Anne Summers',
  given_name: 'Buffy',
  family_name: 'Summers',
  middle_name: 'Anne',
  nickname: 'Buff',
  preferred_username: 'buffy',
  profile: 'https://example.com/buffy',
  picture: 'https://example.com/buffy.png',
  website: 'https://buffy.example.com/',
  gender: 'female',
  birthdate: '1981-01-19',
  zoneinfo: 'Europe/Prague',
  locale: 'en-US',
  updated_at: 1700000000,
  email: 'buffy@example.com',
  email_verified: true,
  phone_number: '+420 123 456 789',
  phone_number_verified: true,
  address: {
    formatted: 'Revolution Rd 1630\n94123 Sunnydale\nCalifornia, USA',
    street_address: 'Revolution Rd 1630',
    locality: 'Sunnydale',
    region: 'California',
    postal_code: '94123',
    country: 'USA',
  },
};

async function findAccount(_ctx, accountId) {
  return {
    accountId,
    async claims() {
      return { sub: accountId, ...structuredClone(PROFILE) };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Signing keys: generated at each start (RSA for RS256/PS256, P-256 for ES256, Ed25519).

function signingKey(type, options, kid) {
  const { privateKey } = crypto.generateKeyPairSync(type, options);
  return { ...privateKey.export({ format: 'jwk' }), kid, use: 'sig' };
}

const stamp = Date.now().toString(36);
const jwks = {
  keys: [
    signingKey('rsa', { modulusLength: 2048 }, `rsa-${stamp}`),
    signingKey('ec', { namedCurve: 'P-256' }, `ec-${stamp}`),
    signingKey('ed25519', {}, `ed-${stamp}`),
  ],
};

const pairwiseSalt = crypto.randomBytes(32).toString('hex');

// ---------------------------------------------------------------------------------------------

const configuration = {
  clients,
  findAccount,
  jwks,
  cookies: {
    keys: [crypto.randomBytes(32).toString('base64url')],
    // The authorization endpoint also takes POST (oidcc-ensure-post-request-succeeds), which
    // node-oidc-provider allows only with SameSite=None session cookies (https only).
    long: { sameSite: 'none' },
  },
  enableHttpPostMethods: true,
  // The library refuses outgoing requests (back-channel logout, jwks_uri, sector_identifier_uri)
  // to loopback and private addresses (SSRF protection); the runner's RP listens on one.
  fetch: (url, { dispatcher: _ssrfGuard, ...options }) => globalThis.fetch(url, options),
  clientBasedCORS: () => true,
  scopes: ['openid', 'offline_access', 'profile', 'email', 'address', 'phone'],
  claims: {
    acr: null,
    auth_time: null,
    iss: null,
    sid: null,
    openid: ['sub'],
    profile: [
      'name', 'given_name', 'family_name', 'middle_name', 'nickname', 'preferred_username',
      'profile', 'picture', 'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'updated_at',
    ],
    email: ['email', 'email_verified'],
    address: ['address'],
    phone: ['phone_number', 'phone_number_verified'],
  },
  responseTypes: ALL_RESPONSE_TYPES,
  subjectTypes: ['public', 'pairwise'],
  async pairwiseIdentifier(_ctx, accountId, client) {
    return crypto.createHash('sha256')
      .update(`${client.sectorIdentifier}\0${accountId}\0${pairwiseSalt}`)
      .digest('hex');
  },
  // Only public clients must use PKCE (this is also the library's default).
  pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
  features: {
    devInteractions: { enabled: true },
    claimsParameter: { enabled: true },
    // `request` (signed: RS256, PS256, ES256, EdDSA, HS256). node-oidc-provider 9 supports
    // `request_uri` only with pushed authorization requests, and no unsigned (alg none) objects;
    // discovery says so (request_uri_parameter_supported false, no `none` in the alg list).
    requestObjects: { enabled: true, requireSignedRequestObject: false },
    revocation: { enabled: true },
    introspection: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      // The library's logged-out page, with the element the runner looks for on it
      // (`[browser] logged_out_page`, default `#logged-out`).
      async postLogoutSuccessSource(ctx) {
        ctx.body = '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Sign-out Success</title></head>'
          + '<body><h1 id="logged-out">Sign-out Success</h1><p>Your sign-out was successful.</p></body></html>';
      },
    },
    backchannelLogout: { enabled: true },
    registration: { enabled: true },
    registrationManagement: { enabled: true },
    // Signed userinfo for oidcc-userinfo-rs256 (dynamic plan).
    jwtUserinfo: { enabled: true },
    // Encrypted ID tokens (and userinfo) for clients that register for them: the client of
    // runner-encrypted.toml (clients.json's client_encrypted).
    encryption: { enabled: true },
  },
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 60,
    IdToken: 3600,
    RefreshToken: 14 * 24 * 3600,
    Interaction: 3600,
    Session: 14 * 24 * 3600,
    Grant: 14 * 24 * 3600,
  },
};

const provider = new Provider(issuer, configuration);

// The runner's relying party listens on plain http (default http://127.0.0.1:4400), which the
// library refuses for implicit/hybrid web clients and for a sector_identifier_uri (the suite's RP
// is https); allow it for URIs on the runner's RP, for this test OP only.
const { invalidate } = provider.Client.Schema.prototype;
provider.Client.Schema.prototype.invalidate = function relaxed(message, code) {
  if (code === 'implicit-force-https' || code === 'implicit-forbid-localhost') return;
  if (message === 'sector_identifier_uri must be a https uri'
      && String(this.sector_identifier_uri).startsWith(`${rpBase}/`)) return;
  invalidate.call(this, message, code);
};

// The built-in pages import a Google web font; drop it so a browser in an offline test
// environment never waits on a third-party request.
provider.use(async (ctx, next) => {
  await next();
  if (typeof ctx.body === 'string' && ctx.response.is('html')) {
    ctx.body = ctx.body.replace(/@import url\(https:\/\/fonts\.googleapis\.com[^)]*\);?/g, '');
  }
});

provider.on('server_error', (_ctx, err) => console.error('server_error', err));
provider.on('backchannel.success', (_ctx, client) => console.error(`back-channel logout sent to ${client.clientId}`));
provider.on('backchannel.error', (_ctx, err, client) => console.error(`back-channel logout to ${client.clientId} failed: ${err.message}${err.cause ? ` (${err.cause.message ?? err.cause})` : ""}`));

// Validate the static clients now rather than on first use.
for (const { client_id: id } of clients) {
  try {
    // eslint-disable-next-line no-await-in-loop
    if (!(await provider.Client.find(id))) die(`client ${id} did not load`);
  } catch (err) {
    die(`client ${id}: ${err.message}${err.error_description ? ` (${err.error_description})` : ''}`);
  }
}

const server = https.createServer(
  { cert: fs.readFileSync(args.cert), key: fs.readFileSync(args.key) },
  provider.callback(),
);

server.listen(port, args.host, () => {
  console.log(`issuer ${issuer}`);
  console.log(`clients ${clients.map((c) => c.client_id).join(', ')} (RP base ${rpBase})`);
  console.log('listening');
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  });
}
