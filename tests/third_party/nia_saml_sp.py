# A portal's SAML service provider on pysaml2 (with xmlsec1), configured for NIA's eIDAS profile
# as its developers configure it: signed AuthnRequests (rsa-sha256) over HTTP-Redirect, a
# RequestedAuthnContext with Comparison="minimum", the eIDAS RequestedAttributes (isAgeOver with
# its age) in samlp:Extensions, responses over HTTP-POST, signed, with the assertion signed and
# encrypted to a key of its own (a second KeyDescriptor, use="encryption").
#
# Usage: python3 nia_saml_sp.py DIR SP_ENTITY_ID ACS_URL LOA redirect|post [logout|failure] [generic] [plain] [email]
#  generic: a generic SP of the standard face, not NIA's: no eIDAS extensions in its requests;
#  plain: it has no encryption key (its metadata offers none, so its assertions come unencrypted);
#  email: its NameIDPolicy asks for an emailAddress NameID.
#  1. writes its keys and its signed metadata to DIR/sp.xml and prints `metadata: <path>`;
#  2. reads `idp <path of the IdP's metadata>` from stdin, checks that metadata's signature with
#     xmlsec1 against the certificate inside it, and prints `open: <AuthnRequest URL>` (redirect)
#     or `post: <URL> <SAMLRequest> <RelayState>` (post, the request signed inside the XML);
#  3. reads `response <base64 SAMLResponse> <RelayState>` from stdin, has pysaml2 verify and
#     decrypt it, and prints one JSON line with what it saw;
#     with `failure` (the person cancels the login), what pysaml2 made of the failure: the
#     top status and the attributes of an assertion (NIA's form), or the error it raised;
#  4. with `logout`: reads `logout` from stdin, sends a signed LogoutRequest (HTTP-Redirect) for
#     the session it got and prints `logout: <URL>`, reads `logged_out <URL the IdP sent the
#     browser to>`, checks the LogoutResponse's signature over the query against the IdP's
#     certificate, has pysaml2 handle it, and prints a second JSON line.
# Exits non-zero on any failure.
import base64
import datetime
import json
import os
import re
import subprocess
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from urllib.parse import parse_qs, urlparse

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, ExtensionElement, samlp, sigver, xmldsig
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAMEID_FORMAT_PERSISTENT, AuthnContextClassRef
from saml2.samlp import RequestedAuthnContext

directory, entity_id, acs_url, loa, binding = sys.argv[1:6]
options = sys.argv[6:]
logout = "logout" in options
failure = "failure" in options
generic = "generic" in options
plain = "plain" in options
email = "email" in options
slo_url = acs_url.rsplit("/", 1)[0] + "/slo"
EIDAS = "http://eidas.europa.eu/saml-extensions"
XMLSEC = "/usr/bin/xmlsec1"

# pysaml2 schema-validates each signed element after re-serialising it through ElementTree, which
# drops the `tn` prefix the eIDAS `xsi:type` values need (saml_stack.md §4): NIA's real typed
# attributes would be refused inside a signed assertion. The signatures are still checked.
sigver.validate_doc_with_schema = lambda *args, **kwargs: None


def key_pair(name):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"sp {name}")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_file, cert_file = os.path.join(directory, f"{name}.key"), os.path.join(directory, f"{name}.crt")
    with open(key_file, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    with open(cert_file, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file


def config(idp_metadata=None):
    sign_key, sign_cert = signing
    enc_key, enc_cert = encryption
    settings = {
        "entityid": entity_id,
        "xmlsec_binary": XMLSEC,
        "key_file": sign_key,
        "cert_file": sign_cert,
        "signing_algorithm": xmldsig.SIG_RSA_SHA256,
        "digest_algorithm": xmldsig.DIGEST_SHA256,
        "allow_unknown_attributes": True,
        "service": {
            "sp": {
                "endpoints": {
                    "assertion_consumer_service": [(acs_url, BINDING_HTTP_POST)],
                    "single_logout_service": [(slo_url, BINDING_HTTP_REDIRECT)],
                },
                "authn_requests_signed": True,
                "logout_requests_signed": True,
                "want_response_signed": True,
                "want_assertions_signed": True,
                "name_id_format": NAMEID_FORMAT_PERSISTENT,
                "allow_unsolicited": False,
            }
        },
    }
    if not plain:
        settings["encryption_keypairs"] = [{"key_file": enc_key, "cert_file": enc_cert}]
    if idp_metadata:
        settings["metadata"] = {"local": [idp_metadata]}
    cfg = SPConfig()
    cfg.load(settings)
    return cfg


def read_line(expected):
    line = sys.stdin.readline().strip()
    word, _, rest = line.partition(" ")
    if word != expected:
        sys.exit(f"expected `{expected} ...` on stdin, got {line[:80]!r}")
    return rest


def requested_attributes():
    def attribute(name, value=None):
        children = [ExtensionElement("AttributeValue", namespace=EIDAS, text=value)] if value else []
        return ExtensionElement(
            "RequestedAttribute",
            namespace=EIDAS,
            attributes={"Name": name, "NameFormat": "urn:oasis:names:tc:SAML:2.0:attrname-format:uri", "isRequired": "false"},
            children=children,
        )

    natural = "http://eidas.europa.eu/attributes/naturalperson/"
    attributes = [attribute(natural + n) for n in ("PersonIdentifier", "CurrentGivenName", "CurrentFamilyName", "DateOfBirth")]
    attributes.append(attribute("http://www.stork.gov.eu/1.0/isAgeOver", "18"))
    return samlp.Extensions(
        extension_elements=[
            ExtensionElement("SPType", namespace=EIDAS, text="public"),
            ExtensionElement("RequestedAttributes", namespace=EIDAS, children=attributes),
        ]
    )


signing = key_pair("signing")
encryption = key_pair("encryption")
sp_metadata = os.path.join(directory, "sp.xml")
with open(sp_metadata, "w") as f:
    f.write(create_metadata_string(None, config=config(), sign=True))
print(f"metadata: {sp_metadata}", flush=True)

idp_metadata = read_line("idp")
with open(idp_metadata) as f:
    idp_xml = f.read()
idp_cert = re.search(r"<ds:X509Certificate>([^<]+)</ds:X509Certificate>", idp_xml).group(1)
idp_cert_file = os.path.join(directory, "idp.crt")
with open(idp_cert_file, "w") as f:
    f.write("-----BEGIN CERTIFICATE-----\n" + idp_cert + "\n-----END CERTIFICATE-----\n")
checked = subprocess.run(
    [XMLSEC, "--verify", "--pubkey-cert-pem", idp_cert_file, "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor", idp_metadata],
    capture_output=True,
)
idp_entity_id = re.search(r'entityID="([^"]+)"', idp_xml).group(1)

client = Saml2Client(config(idp_metadata))
more = {} if generic else {"extensions": requested_attributes()}
if email:
    more["nameid_format"] = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
request_id, info = client.prepare_for_authenticate(
    entityid=idp_entity_id,
    relay_state="/after/login?x=1",
    binding=BINDING_HTTP_REDIRECT if binding == "redirect" else BINDING_HTTP_POST,
    sign=True,
    sigalg=xmldsig.SIG_RSA_SHA256,
    digest_alg=xmldsig.DIGEST_SHA256,
    requested_authn_context=RequestedAuthnContext(authn_context_class_ref=[AuthnContextClassRef(text=loa)], comparison="minimum"),
    **more,
)
if binding == "redirect":
    print(f"open: {dict(info['headers'])['Location']}", flush=True)
else:
    form = info["data"]
    action = re.search(r'action="([^"]+)"', form).group(1)
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form))
    print(f"post: {action} {fields['SAMLRequest']} {fields['RelayState']}", flush=True)

saml_response, _, relay_state = read_line("response").partition(" ")
if failure:
    try:
        failed = client.parse_authn_request_response(saml_response, BINDING_HTTP_POST, outstanding={request_id: "/"})
    except Exception as error:
        print(json.dumps({"error": type(error).__name__, "message": str(error)}), flush=True)
        sys.exit(0)
    statements = failed.assertion.attribute_statement if failed.assertion else []
    print(
        json.dumps(
            {
                "status": failed.response.status.status_code.value,
                "assertion": failed.assertion is not None,
                "attributes": [
                    {"name": a.name, "friendly_name": a.friendly_name, "values": [v.text for v in a.attribute_value]}
                    for statement in statements
                    for a in statement.attribute
                ],
            }
        ),
        flush=True,
    )
    sys.exit(0)
response = client.parse_authn_request_response(saml_response, BINDING_HTTP_POST, outstanding={request_id: "/"})
if response is None or response.assertion is None:
    sys.exit("the response carried no assertion that could be decrypted and verified")
assertion = response.assertion
raw = [
    {
        "name": a.name,
        "name_format": a.name_format,
        "friendly_name": a.friendly_name,
        "original_issuer": a.extension_attributes.get("{http://schemas.xmlsoap.org/ws/2009/09/identity/claims}OriginalIssuer"),
        "types": [v.get_type() for v in a.attribute_value],
        "values": [v.text for v in a.attribute_value],
    }
    for statement in assertion.attribute_statement
    for a in statement.attribute
]
print(
    json.dumps(
        {
            "metadata_signature_ok": checked.returncode == 0,
            "encrypted": b"EncryptedAssertion" in base64.b64decode(saml_response),
            "issuer": response.issuer(),
            "in_response_to": response.in_response_to,
            "relay_state": relay_state,
            "name_id": response.name_id.text,
            "name_id_format": response.name_id.format,
            "assertion_signed": assertion.signature is not None,
            "authn_context": response.authn_info()[0][0] if response.authn_info() else None,
            "session_index": response.session_info()["session_index"],
            "subject_locality": assertion.authn_statement[0].subject_locality.address,
            "audience": [a.audience[0].text for a in assertion.conditions.audience_restriction],
            "attributes": raw,
        }
    ),
    flush=True,
)

if logout:
    read_line("logout")
    sent = client.global_logout(response.name_id, sign=True, sign_alg=xmldsig.SIG_RSA_SHA256)
    _binding, http_info = sent[idp_entity_id]
    print(f"logout: {dict(http_info['headers'])['Location']}", flush=True)
    location = read_line("logged_out")
    query = {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}
    signature_ok = sigver.verify_redirect_signature(query, client.sec.sec_backend, cert=idp_cert)
    logout_response = client.parse_logout_request_response(query["SAMLResponse"], BINDING_HTTP_REDIRECT)
    if logout_response is None:
        sys.exit("the LogoutResponse was not accepted")
    status = logout_response.response.status.status_code.value
    handled = client.handle_logout_response(logout_response)
    print(
        json.dumps(
            {
                "logout_at": location.split("?")[0],
                "logout_signature_ok": bool(signature_ok),
                "logout_issuer": logout_response.issuer(),
                "logout_status": status,
                "logout_in_response_to_ours": logout_response.in_response_to is not None,
                "logout_handled": handled[1] if isinstance(handled, tuple) else str(handled),
                "still_logged_in": client.is_logged_in(response.name_id),
            }
        ),
        flush=True,
    )
