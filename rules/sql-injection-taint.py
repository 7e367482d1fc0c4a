# Test file for sql-injection-taint. It also exercises the sources, sanitizers and guards that
# scripts/build_rules.py shares between all taint rules (request attributes, route parameters, Django and
# aiohttp handlers, numeric conversion, allow-lists, validators and constant conditions).
import re
import sqlite3
import uuid
from typing import Annotated, Optional

import psycopg2
from aiohttp import web
from django.db import connection
from django.db.models.expressions import RawSQL
from django.views import View
from fastapi import Depends, FastAPI, Query, Request
from flask import Blueprint, Flask, abort, request
from sqlalchemy import select, text

flask_app = Flask(__name__)
bp = Blueprint("reports", __name__)
api = FastAPI()
ALLOWED_COLUMNS = {"name", "created_at", "email"}
SORT_ORDERS = ("asc", "desc")


def get_db():
    yield None


# ---------------------------------------------------------------- Flask request attributes and view args
@flask_app.route("/users")
def list_users():
    name = request.args.get("name", "")
    conn = sqlite3.connect("app.db")
    query = "SELECT * FROM users WHERE name = '%s'" % name
    # ruleid: sql-injection-taint
    rows = conn.execute(query).fetchall()
    # ok: sql-injection-taint
    safe = conn.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchall()
    return {"rows": rows, "safe": safe}


@flask_app.route("/orders/<order_id>")
def get_order(order_id):
    cur = sqlite3.connect("app.db").cursor()
    # ruleid: sql-injection-taint
    cur.execute("SELECT * FROM orders WHERE id = " + order_id)
    # ok: sql-injection-taint
    cur.execute(f"SELECT * FROM orders WHERE id = {int(order_id)}")
    # ok: sql-injection-taint
    cur.execute("SELECT * FROM orders WHERE ref = '%s'" % uuid.UUID(order_id))
    return cur.fetchone()


@bp.post("/reports")
def save_report():
    payload = request.get_json()
    title = payload["title"]
    cur = sqlite3.connect("app.db").cursor()
    # ruleid: sql-injection-taint
    cur.executescript("INSERT INTO reports(title) VALUES ('{}');".format(title))
    tags = []
    tags.append(request.form.get("tag"))
    # ruleid: sql-injection-taint
    cur.execute("SELECT * FROM reports WHERE tag IN ('%s')" % "','".join(tags))
    # ok: sql-injection-taint
    cur.executemany("INSERT INTO tags(name) VALUES (?)", [(t,) for t in tags])
    return {"ok": True}


@flask_app.route("/search")
def search():
    cur = sqlite3.connect("app.db").cursor()
    term = request.cookies.get("last_search") or request.headers.get("X-Search", "")
    # ruleid: sql-injection-taint
    cur.execute(f"SELECT * FROM notes WHERE body LIKE '%{term}%'")
    column = request.args.get("sort", "name")
    if column in ALLOWED_COLUMNS:
        # ok: sql-injection-taint
        cur.execute(f"SELECT * FROM notes ORDER BY {column}")
    order = request.args.get("order", "asc")
    if order not in SORT_ORDERS:
        abort(400)
    # ok: sql-injection-taint
    cur.execute(f"SELECT * FROM notes ORDER BY created_at {order}")
    page = request.args.get("page", "1")
    if not page.isdigit():
        return {"error": "page must be a number"}, 400
    # ok: sql-injection-taint
    cur.execute("SELECT * FROM notes LIMIT 20 OFFSET " + page)
    direction = request.args.get("dir", "asc")
    direction = direction if direction in SORT_ORDERS else "asc"
    # ok: sql-injection-taint
    cur.execute("SELECT * FROM notes ORDER BY title " + direction)
    return cur.fetchall()


@flask_app.route("/by-slug")
def by_slug():
    cur = sqlite3.connect("app.db").cursor()
    slug = request.values.get("slug", "")
    if not re.fullmatch(r"[a-z0-9-]{1,64}", slug):
        abort(404)
    # ok: sql-injection-taint
    cur.execute("SELECT * FROM pages WHERE slug = '%s'" % slug)
    ref = request.values.get("ref", "")
    validate_reference(ref)
    # ok: sql-injection-taint
    cur.execute("SELECT * FROM pages WHERE ref = '%s'" % ref)
    # ok: sql-injection-taint
    cur.execute("SELECT * FROM pages WHERE title = '%s'" % sanitize_title(request.values.get("t")))
    return cur.fetchall()


def validate_reference(value):
    if not re.fullmatch(r"[A-Z]{3}-\d+", value):
        raise ValueError(value)


def sanitize_title(value):
    return re.sub(r"[^\w ]", "", value or "")


# ---------------------------------------------------------------- constant propagation
@flask_app.route("/constant-branches", methods=["POST"])
def constant_branches():
    cur = sqlite3.connect("app.db").cursor()
    param = request.form.get("value", "")
    # The condition folds to True: only the literal can be chosen.
    bar = "constant" if 7 * 3 > 20 else param
    # ok: sql-injection-taint
    cur.execute("SELECT * FROM t WHERE v = '" + bar + "'")
    # The condition folds to False: the request value is chosen.
    bar2 = "constant" if 7 * 3 > 20 + 5 else param
    # ruleid: sql-injection-taint
    cur.execute("SELECT * FROM t WHERE v = '" + bar2 + "'")
    num = 106
    if (7 * 18) + num > 200:
        bar3 = "This_should_always_happen"
    else:
        bar3 = param
    # ok: sql-injection-taint
    cur.execute("SELECT * FROM t WHERE v = '" + bar3 + "'")
    bar4 = "safe"
    if (500 / 42) + 196 < 200:
        bar4 = param
    # ok: sql-injection-taint
    cur.execute("SELECT * FROM t WHERE v = '" + bar4 + "'")
    if (500 / 42) + 196 > 200:
        bar4 = param
    # ruleid: sql-injection-taint
    cur.execute("SELECT * FROM t WHERE v = '" + bar4 + "'")
    return "ok"


# ---------------------------------------------------------------- FastAPI / Starlette
@api.get("/items")
def search_items(q: str, db=Depends(get_db)):
    # ruleid: sql-injection-taint
    return db.execute(text(f"SELECT * FROM items WHERE title LIKE '%{q}%'")).all()


@api.get("/items/{item_id}")
def read_item(item_id: int, tag: Optional[int] = None, db=Depends(get_db)):
    # ok: sql-injection-taint
    db.execute(text("SELECT * FROM items WHERE id = :id"), {"id": item_id}).one()
    # ok: sql-injection-taint
    return db.exec_driver_sql(f"SELECT * FROM items WHERE id = {item_id} AND tag = {tag}").all()


@api.get("/annotated")
def annotated(q: Annotated[str, Query()], db: Annotated[Session, Depends(get_db)]):
    # ok: sql-injection-taint
    db.execute(db.default_statement)
    # ruleid: sql-injection-taint
    return db.execute("SELECT * FROM items WHERE tag = '" + q + "'")


@api.get("/orm")
def orm_query(name: str, db=Depends(get_db)):
    stmt = select(User).where(User.name == name)
    # ok: sql-injection-taint
    return db.execute(stmt).scalars().all()


@api.post("/raw")
async def raw_body(request: Request, db=Depends(get_db)):
    body = await request.json()
    # ruleid: sql-injection-taint
    db.execute(text("DELETE FROM items WHERE owner = '%s'" % body["owner"]))
    # ok: sql-injection-taint
    db.execute(text("SELECT * FROM items WHERE path = '%s'" % request.url.path))
    # ruleid: sql-injection-taint
    return db.execute("SELECT * FROM items WHERE q = '%s'" % request.query_params["q"])


# ---------------------------------------------------------------- Django
def customer_report(request, region):
    with connection.cursor() as cursor:
        # ruleid: sql-injection-taint
        cursor.execute("SELECT * FROM customers WHERE region = '%s'" % region)
        # ruleid: sql-injection-taint
        cursor.execute("SELECT * FROM customers WHERE name = '%s'" % request.GET.get("name"))
        # ok: sql-injection-taint
        cursor.execute("SELECT * FROM customers WHERE name = %s", [request.GET.get("name")])
    # ruleid: sql-injection-taint
    people = Person.objects.raw("SELECT * FROM people WHERE last_name = '%s'" % request.POST["last"])
    # ruleid: sql-injection-taint
    annotated = Person.objects.annotate(score=RawSQL("SELECT " + request.POST["expr"], []))
    # ok: sql-injection-taint
    safe = Person.objects.annotate(score=RawSQL("SELECT score FROM s WHERE id = %s", [request.POST["id"]]))
    return people, annotated, safe


class ArchiveView(View):
    def get(self, request, year):
        # ruleid: sql-injection-taint
        rows = Entry.objects.extra(where=["year = %s" % year])
        # ok: sql-injection-taint
        safe = Entry.objects.extra(where=["year = %s"], params=[year])
        return rows, safe


def render_report(request, template_name="reports/default.sql"):
    # Helpers that take the request first: defaulted parameters are not URL parts.
    with connection.cursor() as cursor:
        # ok: sql-injection-taint
        cursor.execute(open(template_name).read() % "x")
    return None


def log_visit(request, user):
    with connection.cursor() as cursor:
        # ok: sql-injection-taint
        cursor.execute("INSERT INTO visits(user_id) VALUES (%s)" % user.pk)
        # ok: sql-injection-taint
        cursor.execute("INSERT INTO hits(addr) VALUES ('%s')" % request.META["REMOTE_ADDR"])
        # ruleid: sql-injection-taint
        cursor.execute("INSERT INTO hits(agent) VALUES ('%s')" % request.META["HTTP_USER_AGENT"])


# ---------------------------------------------------------------- aiohttp
async def aiohttp_handler(request):
    user = request.match_info["user"]
    async with request.app["pool"].acquire() as conn:
        # ruleid: sql-injection-taint
        await conn.execute("SELECT * FROM events WHERE user_name = '" + user + "'")
        # ok: sql-injection-taint
        await conn.execute("SELECT * FROM events WHERE user_name = $1", user)
        form = await request.post()
        # ruleid: sql-injection-taint
        await conn.execute(f"DELETE FROM events WHERE id = {form['id']}")
    return web.json_response({})


# ---------------------------------------------------------------- psycopg2 sql composition
@flask_app.route("/table")
def table_dump():
    conn = psycopg2.connect("dbname=app")
    table = request.args["table"]
    with conn.cursor() as cur:
        # ok: sql-injection-taint
        cur.execute(psycopg2.sql.SQL("SELECT * FROM {}").format(psycopg2.sql.Identifier(table)))
        # ruleid: sql-injection-taint
        cur.execute(psycopg2.sql.SQL("SELECT * FROM " + table))
    return "ok"


# ---------------------------------------------------------------- not request data
def nightly_cleanup(days):
    cur = sqlite3.connect("app.db").cursor()
    # ok: sql-injection-taint
    cur.execute("DELETE FROM sessions WHERE age > %d" % days)
