// A relying party with openid-client (v6) against `identita serve --dev`: it prints an
// authorization URL, reads the address the browser came back to, checks the ID token and reads
// userinfo. npm install openid-client; node examples/quickstart/openid_client_rp.mjs
import * as readline from 'node:readline/promises';
import * as client from 'openid-client';

const issuer = new URL(process.env.IDENTITA_ISSUER ?? 'http://127.0.0.1:8080');
const config = await client.discovery(issuer, 'demo-portal', undefined,
  client.ClientSecretBasic('demo-portal-secret'),
  { execute: [client.allowInsecureRequests] }); // plain http on this machine
const verifier = client.randomPKCECodeVerifier();
const nonce = client.randomNonce();
const url = client.buildAuthorizationUrl(config, {
  redirect_uri: 'http://localhost:3000/callback',
  scope: 'openid profile email',
  code_challenge: await client.calculatePKCECodeChallenge(verifier),
  code_challenge_method: 'S256',
  nonce,
});
console.log('open:', url.href);

const prompt = readline.createInterface({ input: process.stdin, output: process.stdout });
const back = new URL(await prompt.question('the address you came back to: '));
prompt.close();
const tokens = await client.authorizationCodeGrant(config, back, {
  pkceCodeVerifier: verifier,
  expectedNonce: nonce,
  idTokenExpected: true,
});
const claims = tokens.claims();
const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
console.log('signed in:', claims.sub, userinfo.name);
