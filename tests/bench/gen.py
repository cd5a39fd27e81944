#!/usr/bin/python3
"""Synthetic Data Loader rows for the benchmark, and the equivalent LDIF.

  gen.py ROWS OUT_DIR BASE POLICY_DN [--csv-only]

writes OUT_DIR/users.csv (FirstName, LastName, Email, Username, Alias,
Account, Role, TimeZoneSidKey, LocaleSidKey, EmailEncodingKey,
LanguageLocaleKey) and OUT_DIR/users.ldif: what ldapenroll creates from that
CSV with config/examples-like settings, as plain adds: the account
containers, the people ({SSHA512} passwords with pwdReset: TRUE and the
policy), and the role groups with all their members, in that order.

About a third of the rows have no role (the default "<Account> Standard
User"); accounts are spread so that some are large and most are small.
Deterministic for a given ROWS.
"""
import base64
import hashlib
import os
import random
import sys

FIRST = ["Maria", "Tom", "Chloé", "Jürgen", "Raj", "Ann", "Li", "Olga", "Pedro", "Aisha", "Kenji", "Sven",
         "Zoë", "Ólafur", "Amélie", "Bob", "Fatima", "Ivan", "Noor", "Emma"]
LAST = ["Garcia", "Baker", "Lefèvre", "Müller", "Patel", "O'Neil", "Chen", "Ivanova", "Santos", "Khan",
        "Tanaka", "Berg", "Ångström", "Jónsson", "Dubois", "Smith", "Haddad", "Petrov", "Rahman", "Weber"]
ROLES = ["Customer Manager", "Partner User"]


def main():
    rows, out, base, policy = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    csv_only = "--csv-only" in sys.argv[5:]
    rnd = random.Random(rows)
    n_accounts = max(3, rows // 400)
    accounts = ["Account %04d" % i for i in range(n_accounts)]
    weights = [1.0 / (i + 1) for i in range(n_accounts)]
    people = []
    with open(os.path.join(out, "users.csv"), "w", encoding="utf-8", newline="") as f:
        f.write("FirstName,LastName,Email,Username,Alias,Account,Role,TimeZoneSidKey,LocaleSidKey,"
                "EmailEncodingKey,LanguageLocaleKey\r\n")
        for i in range(rows):
            first, last = rnd.choice(FIRST), rnd.choice(LAST)
            account = rnd.choices(accounts, weights)[0]
            role = "" if rnd.random() < 1 / 3 else rnd.choice(ROLES)
            user = "user%07d@bench.example" % i
            last_csv = '"%s"' % last if "'" in last else last
            f.write("%s,%s,%s,%s,u%07d,%s,%s,Europe/Paris,fr_FR,UTF-8,fr\r\n"
                    % (first, last_csv, user, user, i, account, role))
            if not csv_only:
                people.append((user, first, last, account, role))
    if csv_only:
        return
    with open(os.path.join(out, "users.ldif"), "w", encoding="utf-8") as f:
        def line(attr, value):
            if value.isascii() and not value.startswith((" ", ":", "<")) and not value.endswith(" "):
                f.write("%s: %s\n" % (attr, value))
            else:
                f.write("%s:: %s\n" % (attr, base64.b64encode(value.encode()).decode()))

        def esc(v):
            return v.replace(",", "\\,").replace("+", "\\+")

        for a in accounts:
            f.write("dn: ou=%s,%s\nobjectClass: organizationalUnit\n" % (esc(a), base))
            line("ou", a)
            f.write("\n")
        groups = {}
        for user, first, last, account, role in people:
            dn = "uid=%s,ou=%s,%s" % (esc(user), esc(account), base)
            salt = os.urandom(8)
            digest = hashlib.sha512(os.urandom(12) + salt).digest()
            line("dn", dn)
            f.write("objectClass: inetOrgPerson\n")
            line("uid", user)
            line("cn", first + " " + last)
            line("givenName", first)
            line("sn", last)
            line("mail", user)
            line("displayName", first + " " + last)
            line("preferredLanguage", "fr")
            f.write("userPassword:: %s\n" % base64.b64encode(
                b"{SSHA512}" + base64.b64encode(digest + salt)).decode())
            f.write("pwdReset: TRUE\npwdPolicySubentry: %s\n\n" % policy)
            name = "%s %s" % (account, role) if role else "%s Standard User" % account
            groups.setdefault(name, []).append(dn)
        for name, members in groups.items():
            line("dn", "cn=%s,ou=roles,%s" % (esc(name), base))
            f.write("objectClass: groupOfNames\n")
            line("cn", name)
            for m in members:
                line("member", m)
            f.write("\n")


main()
