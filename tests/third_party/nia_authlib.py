# A portal's relying party on Authlib, configured for NIA ("Identita občana") as its portal
# developers have to: NIA's discovery read from its own address (the issuer is a URN, so there is
# no <issuer>/.well-known/openid-configuration), scope `openid` and the eIDAS attributes named in
# the `claims` parameter, no PKCE, the code exchanged with client_secret_post, and the ID token —
# a JWE (RSA-OAEP, A256CBC-HS512, no kid) to the portal's registered key — decrypted with the
# portal's private key, its RS256 signature checked against NIA's JWKS, then its issuer,
# audience and nonce checked by Authlib's OIDC claims class.
#
# The JOSE work is joserfc's: Authlib's own `authlib.jose` is deprecated in its favour (Authlib
# 1.9 warns on import and drops it in 2.0), and Authlib's OIDC classes take joserfc's output.
# Authlib's framework integrations (Flask, Django, Starlette) parse the ID token themselves and
# cannot open a JWE, so a portal exchanges the code with the requests/httpx OAuth2Session as here.
#
# Usage: python3 nia_authlib.py DISCOVERY_URL CLIENT_ID CLIENT_SECRET REDIRECT_URI PRIVATE_JWK_FILE
# Prints `open: <authorization URL>`, reads the address the browser came back to from stdin,
# then prints one JSON line with what it saw; exits non-zero on any failure.
import json
import sys

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwe, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey

discovery_url, client_id, client_secret, redirect_uri, key_file = sys.argv[1:6]

# The attributes the portal asks for; NIA releases only what `claims` names.
ATTRIBUTES = {
    "id_token": {
        "PersonIdentifier": None,
        "CurrentGivenName": None,
        "CurrentFamilyName": None,
        "DateOfBirth": None,
    }
}


class NiaIDToken(CodeIDToken):
    """NIA's ID token has no `sub` unless `claims` names it; the person is PersonIdentifier."""

    ESSENTIAL_CLAIMS = ["iss", "aud", "exp", "iat"]


meta = requests.get(discovery_url, timeout=10).json()
session = OAuth2Session(
    client_id,
    client_secret,  # NIA issues none and ignores it; a strict NIA checks it
    scope="openid",
    redirect_uri=redirect_uri,
    token_endpoint_auth_method="client_secret_post",
)
nonce = generate_token(20)
url, state = session.create_authorization_url(
    meta["authorization_endpoint"],
    nonce=nonce,
    claims=json.dumps(ATTRIBUTES, separators=(",", ":")),
)
print("open:", url, flush=True)
back = sys.stdin.readline().strip()
token = session.fetch_token(meta["token_endpoint"], authorization_response=back, state=state)

with open(key_file, encoding="utf-8") as f:
    portal_key = RSAKey.import_key(json.load(f))
# Only NIA's algorithms: a token encrypted or signed otherwise is refused.
opened = jwe.decrypt_compact(token["id_token"], portal_key, algorithms=["RSA-OAEP", "A256CBC-HS512"])
nia_keys = KeySet.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())
signed = jwt.decode(opened.plaintext, nia_keys, algorithms=["RS256"])

options = {
    "iss": {"essential": True, "value": meta["issuer"]},
    "aud": {"essential": True, "value": client_id},
}
params = {"nonce": nonce, "client_id": client_id, "access_token": token["access_token"]}
NiaIDToken(dict(signed.claims), signed.header, options, params).validate()
try:
    CodeIDToken(dict(signed.claims), signed.header, options, params).validate()
    stock = "accepted"
except JoseError as error:
    stock = str(error)

userinfo = session.get(meta["userinfo_endpoint"], timeout=10).json()
print(
    json.dumps(
        {
            "jwe_header": opened.protected,
            "claims": signed.claims,
            "stock_code_id_token": stock,
            "userinfo": userinfo,
        },
        ensure_ascii=False,
    ),
    flush=True,
)
