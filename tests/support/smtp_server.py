"""A real SMTP server for identita's e-mail tests: aiosmtpd on loopback.

Every message it accepts is written as one JSON file into --dir: the envelope, whether the
session was under TLS, who logged in, and the message as sent. It prints `listening <port>`
once it accepts connections and runs until killed.

    python3 smtp_server.py --dir DIR [--cert C --key K (--starttls | --smtps)]
                           [--login USER:PASSWORD] [--refuse ADDRESS]
"""

import argparse
import asyncio
import json
import os
import socket
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Recorder:
    def __init__(self, directory, refuse):
        self.directory = directory
        self.refuse = refuse
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            # Under TLS from the start or after STARTTLS: the transport then has an SSL object.
            "tls": server.transport.get_extra_info("ssl_object") is not None,
            "login": session.auth_data.login.decode() if session.authenticated else None,
            "data": envelope.content.decode("utf-8", "replace"),
        }
        path = os.path.join(self.directory, f"{self.count:04}.json")
        with open(path + ".tmp", "w") as f:
            json.dump(record, f)
        os.rename(path + ".tmp", path)
        return "250 2.0.0 queued"


def authenticator_for(login):
    user, password = login.split(":", 1)

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and auth_data.password.decode() == password
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    return authenticate


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--starttls", action="store_true")
    parser.add_argument("--smtps", action="store_true")
    parser.add_argument("--login")
    parser.add_argument("--refuse")
    args = parser.parse_args()

    context = None
    if args.cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
    # The controller checks that its server answers by connecting to its port: it needs the
    # port before it starts, so a free one is found first.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    options = {"hostname": "127.0.0.1", "port": port}
    server_options = {}
    if args.smtps:
        options["ssl_context"] = context
    elif args.starttls:
        server_options["tls_context"] = context
        server_options["require_starttls"] = True
    if args.login:
        server_options["authenticator"] = authenticator_for(args.login)
        server_options["auth_required"] = True
        server_options["auth_require_tls"] = context is not None
    controller = Controller(Recorder(args.dir, args.refuse), server_kwargs=server_options, **options)
    controller.start()
    print(f"listening {port}", flush=True)
    try:
        asyncio.run(asyncio.Event().wait())
    finally:
        controller.stop()


if __name__ == "__main__":
    sys.exit(main())
