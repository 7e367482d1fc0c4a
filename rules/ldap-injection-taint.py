import re

import ldap
import ldap.filter
from fastapi import FastAPI
from flask import Flask, jsonify, request
from ldap3 import SUBTREE, Connection, Server
from ldap3.utils.conv import escape_filter_chars

app = Flask(__name__)
api = FastAPI()
BASE_DN = "ou=people,dc=example,dc=com"


def directory():
    return Connection(Server("ldap://ldap.example.com"), auto_bind=True)


@app.route("/people")
def people():
    uid = request.args.get("uid", "")
    conn = directory()
    # ruleid: ldap-injection-taint
    conn.search(BASE_DN, f"(uid={uid})", attributes=["cn", "mail"])
    # ok: ldap-injection-taint
    conn.search(BASE_DN, f"(uid={escape_filter_chars(uid)})", attributes=["cn", "mail"])
    # ok: ldap-injection-taint
    conn.search(BASE_DN, "(objectClass=person)", search_scope=SUBTREE)
    return jsonify([e.entry_to_json() for e in conn.entries])


@app.route("/people/by-mail")
def by_mail():
    mail = request.args["mail"]
    with Connection(Server("ldap://ldap.example.com"), auto_bind=True) as conn:
        # ruleid: ldap-injection-taint
        conn.search(search_base=BASE_DN, search_filter="(mail=" + mail + ")")
    # ok: ldap-injection-taint
    match = re.search(r"@(\w+)\.", mail)
    return jsonify(domain=match.group(1) if match else None)


@app.route("/legacy")
def legacy():
    user = request.args["user"]
    l = ldap.initialize("ldap://ldap.example.com")
    # ruleid: ldap-injection-taint
    results = l.search_s(BASE_DN, ldap.SCOPE_SUBTREE, "(cn=%s)" % user)
    # ok: ldap-injection-taint
    safe = l.search_s(BASE_DN, ldap.SCOPE_SUBTREE, ldap.filter.filter_format("(cn=%s)", [user]))
    # ok: ldap-injection-taint
    escaped = l.search_s(BASE_DN, ldap.SCOPE_SUBTREE, "(cn=%s)" % ldap.filter.escape_filter_chars(user))
    return jsonify(n=len(results) + len(safe) + len(escaped))


@api.get("/groups/{group}")
def group_members(group: str, page: int = 0):
    conn = directory()
    # ruleid: ldap-injection-taint
    conn.search(f"cn={group},ou=groups,dc=example,dc=com", "(objectClass=groupOfNames)")
    # ok: ldap-injection-taint
    conn.search(BASE_DN, f"(employeeNumber={page})")
    return {"entries": len(conn.entries)}


def django_lookup(request):
    l = ldap.initialize("ldap://ldap.example.com")
    # ruleid: ldap-injection-taint
    return l.search_ext_s(BASE_DN, ldap.SCOPE_SUBTREE, filterstr="(sn=" + request.GET["sn"] + ")")


def nightly_sync(conn, department):
    # ok: ldap-injection-taint
    conn.search(BASE_DN, f"(department={department})")
