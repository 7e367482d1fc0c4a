import xml.etree.ElementTree as ET

from fastapi import FastAPI
from flask import Flask, abort, jsonify, request
from lxml import etree

app = Flask(__name__)
api = FastAPI()
USERS = etree.parse("users.xml")
ROLES = {"admin", "editor", "viewer"}


@app.route("/login", methods=["POST"])
def login():
    user = request.form["user"]
    password = request.form["password"]
    query = "//user[@name='" + user + "' and @password='" + password + "']"
    # ruleid: xpath-injection-taint
    found = USERS.xpath(query)
    # ok: xpath-injection-taint
    same = USERS.xpath("//user[@name=$name and @password=$pw]", name=user, pw=password)
    return jsonify(ok=bool(found), same=bool(same))


@app.route("/compiled")
def compiled():
    expr = request.args.get("expr", "//item")
    # ruleid: xpath-injection-taint
    finder = etree.XPath(expr)
    # ok: xpath-injection-taint
    by_id = etree.XPath("//item[@id=$id]")
    return jsonify(count=len(finder(USERS)), byid=len(by_id(USERS, id=expr)))


@app.route("/role")
def by_role():
    role = request.args.get("role", "viewer")
    if role not in ROLES:
        abort(400)
    # ok: xpath-injection-taint
    return jsonify(count=len(USERS.xpath(f"//user[@role='{role}']")))


@app.route("/index/<position>")
def by_index(position):
    # ok: xpath-injection-taint
    return jsonify(names=USERS.xpath(f"//user[{int(position)}]/@name"))


@app.route("/stdlib")
def stdlib_find():
    root = ET.parse("catalog.xml").getroot()
    category = request.args["category"]
    # ruleid: xpath-injection-taint
    books = root.findall(f"./book[@category='{category}']")
    # ok: xpath-injection-taint
    titles = root.findall("./book/title")
    return jsonify(books=len(books), titles=len(titles))


@api.get("/products")
def products(tag: str, limit: int = 10):
    tree = etree.parse("products.xml")
    # ruleid: xpath-injection-taint
    hits = tree.xpath("//product[tag='%s']" % tag)
    # ok: xpath-injection-taint
    top = tree.xpath("//product[position() <= %d]" % limit)
    return {"hits": len(hits), "top": len(top)}


def django_lookup(request):
    doc = etree.fromstring(request.body)
    # ok: xpath-injection-taint
    names = doc.xpath("//name/text()")
    # ruleid: xpath-injection-taint
    match = doc.xpath("//entry[@key='" + request.GET["key"] + "']")
    return names, match


def report(tree, column):
    # ok: xpath-injection-taint
    return tree.xpath(f"//row/{column}")
