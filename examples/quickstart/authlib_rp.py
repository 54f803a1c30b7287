# A relying party with Authlib against `identita serve --dev`: it prints an authorization URL,
# reads the address the browser came back to, checks the ID token and reads userinfo.
# pip install authlib requests; python3 examples/quickstart/authlib_rp.py
import os

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.jwk import KeySet

issuer = os.environ.get("IDENTITA_ISSUER", "http://127.0.0.1:8080")
meta = requests.get(f"{issuer}/.well-known/openid-configuration").json()
client = OAuth2Session(
    "demo-portal",
    "demo-portal-secret",
    scope="openid profile email",
    redirect_uri="http://localhost:8000/callback",
    code_challenge_method="S256",
)
verifier, nonce = generate_token(48), generate_token(20)
url, state = client.create_authorization_url(
    meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce
)
print("open:", url, flush=True)
back = input("the address you came back to: ")
token = client.fetch_token(
    meta["token_endpoint"], authorization_response=back, state=state, code_verifier=verifier
)

keys = KeySet.import_key_set(requests.get(meta["jwks_uri"]).json())
decoded = jwt.decode(token["id_token"], keys)
claims = CodeIDToken(
    decoded.claims,
    decoded.header,
    {"iss": {"values": [issuer]}},
    {"nonce": nonce, "client_id": "demo-portal", "access_token": token["access_token"]},
)
claims.validate()
userinfo = client.get(meta["userinfo_endpoint"]).json()
print("signed in:", claims["sub"], userinfo["name"])
