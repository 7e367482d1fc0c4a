import sqlite3


def find_user(conn: sqlite3.Connection, name: str):
    cur = conn.cursor()
    # ruleid: sql-fstring-in-execute
    cur.execute(f"SELECT * FROM users WHERE name = '{name}'")
    # ok: sql-fstring-in-execute
    cur.execute("SELECT * FROM users WHERE name = ?", (name,))
    return cur.fetchall()


def delete_rows(cur, table: str, ids: list[int]):
    query = f"DELETE FROM {table} WHERE id = ?"
    # ruleid: sql-fstring-in-execute
    cur.executemany(query, [(i,) for i in ids])


def update_email(cur, user_id: int, email: str):
    # ruleid: sql-fstring-in-execute
    cur.execute(f"""UPDATE users
                    SET email = '{email}' WHERE id = {user_id}""")
    # ok: sql-fstring-in-execute
    cur.execute("UPDATE users SET email = %s WHERE id = %s", (email, user_id))


def constant_fstring(cur):
    # ok: sql-fstring-in-execute
    cur.execute(f"SELECT count(*) FROM users")


def not_sql(executor, job: str):
    # ok: sql-fstring-in-execute
    executor.execute(f"run-job {job}")


def by_ids(cur, ids: list[int]):
    # ok: sql-fstring-in-execute
    cur.execute(f"SELECT * FROM users WHERE id IN ({', '.join('?' * len(ids))})", ids)
    placeholders = ",".join(["%s"] * len(ids))
    # ok: sql-fstring-in-execute
    cur.execute(f"DELETE FROM sessions WHERE user_id IN ({placeholders})", ids)
    # ruleid: sql-fstring-in-execute
    cur.execute(f"SELECT * FROM {ids[0]} WHERE id IN ({placeholders})", ids)


def tag_report(conn, tag: str):
    from sqlalchemy import text

    # ok: sql-fstring-in-execute
    return conn.execute(text(f"SELECT count(*) FROM tags WHERE tag = '{tag}'")).all()
