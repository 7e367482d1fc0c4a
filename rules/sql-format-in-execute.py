def by_name(cur, name):
    # ruleid: sql-format-in-execute
    cur.execute("SELECT * FROM users WHERE name = '%s'" % name)
    # ok: sql-format-in-execute
    cur.execute("SELECT * FROM users WHERE name = %s", (name,))


def by_id(cur, user_id):
    sql = "SELECT * FROM users WHERE id = {}".format(user_id)
    # ruleid: sql-format-in-execute
    cur.execute(sql)


def bulk(cur, table, rows):
    # ruleid: sql-format-in-execute
    cur.executemany("INSERT INTO {t} VALUES (?, ?)".format(t=table), rows)
    # ok: sql-format-in-execute
    cur.executemany("INSERT INTO audit VALUES (?, ?)", rows)


def logging_only(logger, name):
    # ok: sql-format-in-execute
    logger.info("SELECT issued for %s" % name)
