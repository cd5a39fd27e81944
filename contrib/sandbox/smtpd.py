#!/usr/bin/python3
"""Capturing SMTP server of the ldapenroll sandbox.

Started by sandbox.sh as

    /usr/bin/python3 smtpd.py --dir DIR --port PORT [--no-tls]

and listens on 127.0.0.1:PORT with the host name "localhost".

Normal mode: STARTTLS with DIR/tls/server.pem is required before anything
else, then AUTH PLAIN or LOGIN as user "ldapenroll" with the password in
DIR/secrets/smtp.secret is required before MAIL. With --no-tls neither
STARTTLS nor AUTH is offered and mail is accepted without authentication.
SMTPUTF8 is not offered; 8BITMIME is.

Every accepted message is stored in DIR/mail as

    NNNNNN.json  the envelope: {"mail_from", "rcpt_tos", "tls", "auth_user",
                 "received", ...}
    NNNNNN.eml   the message exactly as received (CRLF line ends; only the
                 SMTP dot-stuffing is undone)

NNNNNN is a 6-digit sequence number. Both files are written under a
temporary name and renamed; the .json appears first, so once a .eml exists
its envelope exists too.

Fault injection
---------------
The rules file DIR/smtp-faults is read afresh at every stage, so tests can
change it while the server runs. A missing file means no faults. Each line
that is neither empty nor a comment (#) reads

    STAGE PATTERN ACTION [times=N]

STAGE    CONNECT  before the greeting
         MAIL     at MAIL FROM (PATTERN is matched against the sender)
         RCPT     at RCPT TO   (PATTERN is matched against the recipient)
         DATA     after the message body was received, before the reply
                  (PATTERN is matched against each recipient)
PATTERN  a shell glob, case-insensitive; "*" matches everything. Ignored for
         CONNECT.
ACTION   a 4xx or 5xx reply, e.g. "451 4.3.0 Try again later"
         drop           close the connection without replying
         delay=SECONDS  wait, then carry on normally
times=N  fire at most N more times. Each firing decrements N and the file is
         rewritten atomically, so "451 once, then success" also works across
         connections. A rule at times=0 is spent. Without times= a rule
         fires every time.

The first matching rule that is not spent wins. A message rejected or
dropped at DATA is not stored. A CONNECT reply is sent as the greeting and
the connection is then closed.

Examples:

    RCPT *@example.com 451 4.3.0 Try again later times=1
    DATA bob@* 550 5.7.1 Rejected by policy
    DATA * drop times=2
    CONNECT * delay=3

Mailbox helpers (used by "sandbox.sh mail"):

    smtpd.py --dir DIR --list      one line per message: file, sender,
                                   recipients, subject (tab separated)
    smtpd.py --dir DIR --show N    message N, raw
"""

import argparse
import asyncio
import datetime
import email
import email.policy
import fnmatch
import hmac
import json
import logging
import os
import re
import signal
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

SMTP_USER = "ldapenroll"
STAGES = ("CONNECT", "MAIL", "RCPT", "DATA")
RULE_RE = re.compile(r"^(\S+)\s+(\S+)\s+(.*?)(?:\s+times=(\d+))?\s*$")
REPLY_RE = re.compile(r"^[45]\d\d(?:[ -].*)?$")
DELAY_RE = re.compile(r"^delay=(\d+(?:\.\d+)?)$")

log = logging.getLogger("sandbox.smtpd")


class Dropped(asyncio.CancelledError):
    """A fault rule closed the connection without a reply.

    A CancelledError, so that aiosmtpd unwinds the session the way it does
    for a lost connection instead of turning it into a "500" reply."""


class FaultRules:
    """The DIR/smtp-faults rules; see the module documentation."""

    def __init__(self, path):
        self.path = path

    def _read_lines(self):
        try:
            with open(self.path, encoding="utf-8") as f:
                return f.read().splitlines(keepends=True)
        except FileNotFoundError:
            return []

    def _parse(self, lineno, line):
        """Return (stage, pattern, action, times) or None for no rule."""
        text = line.strip()
        if not text or text.startswith("#"):
            return None
        m = RULE_RE.match(text)
        stage = m.group(1).upper() if m else None
        if not m or stage not in STAGES:
            log.warning("smtp-faults line %d ignored: %r", lineno, text)
            return None
        action = m.group(3)
        if not (action == "drop" or DELAY_RE.match(action) or REPLY_RE.match(action)):
            log.warning("smtp-faults line %d: bad action %r", lineno, action)
            return None
        times = int(m.group(4)) if m.group(4) is not None else None
        return stage, m.group(2), action, times

    def _write_lines(self, lines):
        tmp = "%s.tmp.%d" % (self.path, os.getpid())
        with open(tmp, "w", encoding="utf-8") as f:
            f.writelines(lines)
        os.replace(tmp, self.path)

    def take(self, stage, subjects):
        """Return the action of the first live rule for STAGE matching one of
        SUBJECTS (addresses), consuming one firing; None if no rule fires.

        Runs without awaiting, so firings cannot interleave between
        connections of this single-threaded server."""
        lines = self._read_lines()
        for index, line in enumerate(lines):
            rule = self._parse(index + 1, line)
            if rule is None or rule[0] != stage or rule[3] == 0:
                continue
            _, pattern, action, times = rule
            if stage != "CONNECT" and not any(
                fnmatch.fnmatchcase(s.lower(), pattern.lower()) for s in subjects
            ):
                continue
            if times is not None:
                lines[index] = re.sub(r"times=\d+", "times=%d" % (times - 1), line)
                self._write_lines(lines)
            log.info(
                "fault %s line %d fired: %s%s",
                stage,
                index + 1,
                action,
                "" if times is None else " (%d left)" % (times - 1),
            )
            return action
        return None

    async def apply(self, server, stage, subjects):
        """Carry out a rule: return a reply to send instead of the normal
        one, None to carry on, or raise Dropped after closing."""
        action = self.take(stage, subjects)
        if action is None:
            return None
        delay = DELAY_RE.match(action)
        if delay:
            await asyncio.sleep(float(delay.group(1)))
            return None
        if action == "drop":
            # abort() closes the TCP connection at once, even under TLS
            # (no close_notify), like a crashed or firewalled server.
            server.transport.abort()
            raise Dropped()
        return action


class Mailbox:
    """DIR/mail: NNNNNN.json + NNNNNN.eml per message."""

    def __init__(self, path):
        self.path = path
        os.makedirs(path, mode=0o700, exist_ok=True)
        numbers = [int(n[:6]) for n in os.listdir(path) if re.match(r"^\d{6}\.eml$", n)]
        self.last = max(numbers, default=0)

    def _write(self, name, data):
        tmp = os.path.join(self.path, ".%s.tmp" % name)
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, os.path.join(self.path, name))

    def store(self, envelope, meta):
        self.last += 1
        base = "%06d" % self.last
        self._write(base + ".json", (json.dumps(meta, indent=2) + "\n").encode())
        self._write(base + ".eml", envelope.original_content)
        return base

    def files(self):
        return sorted(n for n in os.listdir(self.path) if re.match(r"^\d{6}\.eml$", n))


class Handler:
    """aiosmtpd hooks. A hook that returns a status must also do what
    aiosmtpd would otherwise do itself (record sender or recipient)."""

    def __init__(self, faults, mailbox):
        self.faults = faults
        self.mailbox = mailbox

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        reply = await self.faults.apply(server, "MAIL", [address])
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = await self.faults.apply(server, "RCPT", [address])
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        reply = await self.faults.apply(server, "DATA", envelope.rcpt_tos)
        if reply:
            return reply
        login = session.auth_data.login if session.authenticated else None
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "tls": session.ssl is not None,
            "auth_user": login.decode("utf-8", "replace") if login else None,
            "received": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "mail_options": envelope.mail_options,
            "peer": "%s:%s" % tuple(session.peer[:2]),
            "size": len(envelope.original_content),
        }
        name = self.mailbox.store(envelope, meta)
        log.info("stored %s from %s to %s", name, envelope.mail_from, ",".join(envelope.rcpt_tos))
        return "250 2.0.0 OK queued as %s" % name


class SandboxSMTP(SMTP):
    """aiosmtpd's SMTP plus the CONNECT fault stage (aiosmtpd has no hook
    before the greeting) and fault-injected connection drops."""

    async def _handle_client(self):
        try:
            reply = await self.event_handler.faults.apply(self, "CONNECT", [])
        except Dropped:
            return
        if reply:
            await self.push(reply)
            self.transport.close()
            return
        try:
            await super()._handle_client()
        except Dropped:
            pass  # the connection is already closed


def make_authenticator(password):
    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == SMTP_USER.encode()
            and hmac.compare_digest(auth_data.password, password)
        )
        log.info("AUTH %s as %r: %s", mechanism, getattr(auth_data, "login", None), "ok" if ok else "failed")
        # handled=False: without it aiosmtpd sends no reply at all on failure.
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    return authenticator


def tls_context(directory):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(
        os.path.join(directory, "tls", "server.pem"), os.path.join(directory, "tls", "server.key")
    )
    return ctx


async def serve(args):
    loop = asyncio.get_running_loop()
    handler = Handler(
        FaultRules(os.path.join(args.dir, "smtp-faults")), Mailbox(os.path.join(args.dir, "mail"))
    )
    if args.no_tls:
        options = dict(tls_context=None, require_starttls=False, auth_required=False)
    else:
        with open(os.path.join(args.dir, "secrets", "smtp.secret"), "rb") as f:
            password = f.read()
        options = dict(
            tls_context=tls_context(args.dir),
            require_starttls=True,
            auth_required=True,
            authenticator=make_authenticator(password),
        )

    def factory():
        return SandboxSMTP(
            handler,
            hostname="localhost",
            ident="ldapenroll sandbox ESMTP",
            decode_data=False,
            enable_SMTPUTF8=False,
            auth_require_tls=True,
            loop=loop,
            **options,
        )

    server = await loop.create_server(factory, host="127.0.0.1", port=args.port, reuse_address=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    ready = os.path.join(args.dir, "smtpd.ready")
    with open(ready + ".tmp", "w") as f:
        f.write("%d\n" % os.getpid())
    os.replace(ready + ".tmp", ready)
    log.info("listening on 127.0.0.1:%d (%s)", args.port, "plain" if args.no_tls else "STARTTLS+AUTH required")

    await stop.wait()
    log.info("shutting down")
    server.close()
    await server.wait_closed()


def mailbox_list(directory):
    box = Mailbox(os.path.join(directory, "mail"))
    for name in box.files():
        base = os.path.join(box.path, name[:6])
        try:
            with open(base + ".json", encoding="utf-8") as f:
                meta = json.load(f)
        except (OSError, ValueError):
            meta = {}
        with open(base + ".eml", "rb") as f:
            msg = email.message_from_binary_file(f, policy=email.policy.default)
        subject = str(msg.get("Subject", "")).replace("\t", " ").replace("\n", " ")
        print(
            "\t".join(
                [name, meta.get("mail_from") or "-", ",".join(meta.get("rcpt_tos") or []) or "-", subject]
            )
        )


def mailbox_show(directory, which):
    name = which if which.endswith(".eml") else "%06d.eml" % int(which)
    with open(os.path.join(directory, "mail", name), "rb") as f:
        sys.stdout.buffer.write(f.read())


def main():
    parser = argparse.ArgumentParser(description="ldapenroll sandbox SMTP server")
    parser.add_argument("--dir", required=True, help="sandbox directory")
    parser.add_argument("--port", type=int, help="port on 127.0.0.1")
    parser.add_argument("--no-tls", action="store_true", help="no STARTTLS, no AUTH")
    parser.add_argument("--list", action="store_true", help="list stored messages")
    parser.add_argument("--show", metavar="N", help="print stored message N")
    args = parser.parse_args()

    if args.list:
        return mailbox_list(args.dir)
    if args.show:
        try:
            return mailbox_show(args.dir, args.show)
        except (OSError, ValueError) as e:
            sys.exit("no such message %s: %s" % (args.show, e))
    if args.port is None:
        parser.error("--port is required to run the server")

    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    # aiosmtpd 1.4 itself sets the deprecated Session.login_data on every AUTH.
    logging.getLogger("mail.log").addFilter(lambda r: "login_data is deprecated" not in r.getMessage())
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
