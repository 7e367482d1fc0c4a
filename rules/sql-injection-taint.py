import sqlite3
from typing import Annotated

from fastapi import Depends, FastAPI, Query
from flask import Flask, request
from sqlalchemy import text

flask_app = Flask(__name__)
api = FastAPI()


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
    return cur.fetchone()


@api.get("/items")
def search_items(q: str, db=Depends(get_db)):
    # ruleid: sql-injection-taint
    return db.execute(text(f"SELECT * FROM items WHERE title LIKE '%{q}%'")).all()


@api.get("/items/{item_id}")
def read_item(item_id: int, db=Depends(get_db)):
    # ok: sql-injection-taint
    return db.execute(text("SELECT * FROM items WHERE id = :id"), {"id": item_id}).one()


def get_db():
    yield None


@api.get("/annotated")
def annotated(q: Annotated[str, Query()], db: Annotated[Session, Depends(get_db)]):
    # ok: sql-injection-taint
    db.execute(db.default_statement)
    # ruleid: sql-injection-taint
    return db.execute("SELECT * FROM items WHERE tag = '" + q + "'")
