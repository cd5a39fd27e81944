#!/usr/bin/python3
"""Reads the mail the sandbox's SMTP server captured, for the tests.

  mailbox.py DIR count RCPT            messages whose envelope goes to RCPT
  mailbox.py DIR count-domain DOMAIN   messages whose envelope goes to anyone @DOMAIN
  mailbox.py DIR subjects RCPT         their decoded subjects, one per line
  mailbox.py DIR to RCPT               their decoded To headers, one per line
  mailbox.py DIR password RCPT FILE    the temporary password of the newest
                                       password message to RCPT, into FILE (0600)
  mailbox.py DIR link RCPT             the set-password link of the newest message
                                       to RCPT that has one
  mailbox.py DIR bodies RCPT           the decoded bodies, each ended by a line "--"
  mailbox.py DIR check RCPT            parse every message to RCPT strictly and
                                       check the rules the agent promises
  mailbox.py DIR passwords DOMAIN      for everyone @DOMAIN who got a password
                                       message: "RCPT<TAB>PASSWORD<TAB>N", the
                                       password of the newest one and how many
                                       they got (for thousands of people at once)
"""
import email
import email.policy
import glob
import json
import os
import re
import sys


def messages(maildir, rcpt, domain=False):
    found = []
    for env_path in sorted(glob.glob(os.path.join(maildir, "*.json"))):
        with open(env_path) as f:
            env = json.load(f)
        if (any(r.endswith("@" + rcpt) for r in env["rcpt_tos"]) if domain else rcpt in env["rcpt_tos"]):
            with open(env_path[:-5] + ".eml", "rb") as f:
                found.append((env, f.read()))
    return found


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


def password_of(raw):
    """The temporary password of a password message, or None for another."""
    msg = parse(raw)
    subject = msg["Subject"].lower()
    if not any(w in subject for w in ("password", "passwort", "mot de passe")):
        return None
    body = msg.get_content()
    m = re.search(r"^    (\S+)\s*$", body, re.M)
    if m and "?token=" in m.group(1):
        return None  # a set-password link, not a password
    return m.group(1) if m and "{password}" not in body else None


def link_of(raw):
    m = re.search(r"(https?://\S+\?token=[A-Za-z0-9_-]+)", parse(raw).get_content())
    return m.group(1) if m else None


def check(raw):
    """The promises: CRLF line ends, 7-bit headers, lines within 998 (and
    body lines within 76), the required headers, quoted-printable UTF-8."""
    problems = []
    head, _, body = raw.partition(b"\r\n\r\n")
    if b"\n" in raw.replace(b"\r\n", b""):
        problems.append("a bare LF")
    if any(b > 127 for b in head):
        problems.append("8-bit header bytes")
    for line in raw.split(b"\r\n"):
        if len(line) > 998:
            problems.append("a line over 998 characters")
    for line in body.split(b"\r\n"):
        if len(line) > 76:
            problems.append("a body line over 76 characters")
    msg = parse(raw)
    for name in ("From", "To", "Subject", "Date", "Message-ID", "MIME-Version"):
        if msg[name] is None:
            problems.append("no " + name)
    if msg.get_content_type() != "text/plain" or msg.get_content_charset() != "utf-8":
        problems.append("not text/plain; charset=UTF-8")
    if msg["Content-Transfer-Encoding"] != "quoted-printable":
        problems.append("not quoted-printable")
    return problems


def main():
    maildir, what, rcpt = sys.argv[1], sys.argv[2], sys.argv[3]
    found = messages(os.path.join(maildir, "mail") if os.path.isdir(os.path.join(maildir, "mail")) else maildir, rcpt,
                     what in ("count-domain", "passwords"))
    if what in ("count", "count-domain"):
        print(len(found))
    elif what == "subjects":
        for _, raw in found:
            print(parse(raw)["Subject"])
    elif what == "to":
        for _, raw in found:
            print(parse(raw)["To"])
    elif what == "password":
        for _, raw in reversed(found):
            pw = password_of(raw)
            if pw:
                fd = os.open(sys.argv[4], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                os.write(fd, pw.encode())
                os.close(fd)
                return 0
        print("no password message to " + rcpt, file=sys.stderr)
        return 1
    elif what == "link":
        for _, raw in reversed(found):
            link = link_of(raw)
            if link:
                print(link)
                return 0
        print("no message with a link to " + rcpt, file=sys.stderr)
        return 1
    elif what == "bodies":
        for _, raw in found:
            print(parse(raw).get_content())
            print("--")
    elif what == "passwords":
        newest, count = {}, {}
        for env, raw in found:  # oldest first: the last one seen is the newest
            pw = password_of(raw)
            if pw:
                for r in env["rcpt_tos"]:
                    newest[r] = pw
                    count[r] = count.get(r, 0) + 1
        for r in sorted(newest):
            print("%s\t%s\t%d" % (r, newest[r], count[r]))
    elif what == "check":
        bad = 0
        for _, raw in found:
            for p in check(raw):
                print(p)
                bad += 1
        return 1 if bad or not found else 0
    return 0


sys.exit(main())
