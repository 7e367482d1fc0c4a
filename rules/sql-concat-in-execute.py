def search(cur, term):
    # ruleid: sql-concat-in-execute
    cur.execute("SELECT * FROM products WHERE title LIKE '%" + term + "%'")
    # ok: sql-concat-in-execute
    cur.execute("SELECT * FROM products WHERE title LIKE ?", ("%" + term + "%",))


def orders(cur, customer_id):
    query = "SELECT * FROM orders WHERE customer = " + customer_id
    # ruleid: sql-concat-in-execute
    cur.execute(query)


def sorted_orders(cur, column):
    sql = "SELECT * FROM orders"
    sql += " ORDER BY " + column
    # ruleid: sql-concat-in-execute
    cur.execute(sql)


def constant_parts(cur):
    # ok: sql-concat-in-execute
    cur.execute("SELECT id, name " + "FROM users WHERE active = 1")
