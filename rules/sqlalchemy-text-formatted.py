from sqlalchemy import text
import sqlalchemy


def get_user(session, username: str):
    # ruleid: sqlalchemy-text-formatted
    stmt = text(f"SELECT * FROM users WHERE username = '{username}'")
    # ok: sqlalchemy-text-formatted
    safe = text("SELECT * FROM users WHERE username = :username")
    return session.execute(stmt), session.execute(safe, {"username": username})


def report(engine, order: str):
    sql = "SELECT * FROM sales ORDER BY " + order
    with engine.connect() as conn:
        # ruleid: sqlalchemy-text-formatted
        return conn.execute(sqlalchemy.text(sql)).all()


def by_region(conn, region: str):
    # ruleid: sqlalchemy-text-formatted
    q = sqlalchemy.text("SELECT * FROM stores WHERE region = '%s'" % region)
    # ok: sqlalchemy-text-formatted
    q2 = sqlalchemy.text("SELECT * FROM stores WHERE region = :region").bindparams(region=region)
    return conn.execute(q), conn.execute(q2)
