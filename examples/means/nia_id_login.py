# A test citizen signs in with NIA ID — username, password, then the code sent by SMS — the way a
# browser does, for a portal's end-to-end tests against `identita serve --dev`. It prints the
# address the browser comes back to (the portal's redirect URI with `code` and `state`).
#
#   python3 examples/means/nia_id_login.py 'AUTHORIZATION_URL' [USERNAME PASSWORD]
#
# The authorization URL asks for substantial (`scope=openid loasubstantial`, or `acr_values`
# with http://eidas.europa.eu/LoA/substantial), so the login page offers NIA ID. The SMS goes to
# dev mode's outbox, read here from /dev/outbox (`identita outbox --json` reads the same).
# Needs only `requests` (pip install requests).
import sys
from html.parser import HTMLParser
from urllib.parse import urljoin, urlparse

import requests


class Forms(HTMLParser):
    """The forms of a page: id -> (action, hidden fields)."""

    def __init__(self):
        super().__init__()
        self.forms, self.current = {}, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.current = attrs.get("id")
            self.forms[self.current] = (attrs.get("action", ""), {})
        elif tag == "input" and self.current and attrs.get("type") == "hidden":
            self.forms[self.current][1][attrs["name"]] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None


def form(page, form_id):
    parser = Forms()
    parser.feed(page.text)
    if form_id not in parser.forms:
        sys.exit(f"no form #{form_id} at {page.url} ({page.status_code})")
    action, fields = parser.forms[form_id]
    return urljoin(page.url, action), fields


def follow(browser, response, issuer):
    """Follows redirects while they stay at identita; returns the page or the address left to."""
    while response.is_redirect:
        target = urljoin(response.url, response.headers["location"])
        if not target.startswith(issuer):
            return target
        response = browser.get(target, allow_redirects=False)
    return response


authorize = sys.argv[1]
username, password = (sys.argv[2], sys.argv[3]) if len(sys.argv) > 3 else ("jan.novak", "heslo-jan")
parts = urlparse(authorize)
issuer = f"{parts.scheme}://{parts.netloc}"
browser = requests.Session()

page = follow(browser, browser.get(authorize, allow_redirects=False), issuer)
action, fields = form(page, "login")
if fields.get("means") != "nia-id":
    sys.exit("the login page does not offer NIA ID first: ask for substantial (scope loasubstantial)")
fields.update(username=username, password=password)
page = follow(browser, browser.post(action, data=fields, allow_redirects=False), issuer)

action, fields = form(page, "sms")
# The page shows the number's last three digits; the newest SMS to such a number holds the code.
tail = page.text.split('id="sms-phone">', 1)[1].split("<", 1)[0][-3:]
sms = next(m for m in browser.get(f"{issuer}/dev/outbox").json() if m["to"].endswith(tail))
code = next(word for word in sms["body"].replace(",", " ").split() if word.isdigit() and len(word) == 6)
fields.update(code=code, action="verify")
page = follow(browser, browser.post(action, data=fields, allow_redirects=False), issuer)

# Consent, the first time this citizen signs in to this portal.
if isinstance(page, requests.Response) and 'id="consent"' in page.text:
    action, fields = form(page, "consent")
    fields.update(decision="allow")
    page = follow(browser, browser.post(action, data=fields, allow_redirects=False), issuer)
if isinstance(page, requests.Response):
    sys.exit(f"stopped at {page.url} ({page.status_code})")
print(page)
