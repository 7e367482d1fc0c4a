"""Bounded payload tables and response signatures for the injection probe (no probe is registered here)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

# --- SQL -----------------------------------------------------------------------------------------------------------
# Error signatures by database. Matched against the raw body and every string inside a JSON body.
SQL_ERRORS: dict[str, tuple[str, ...]] = {
    "SQLite": (
        r"sqlite3?\.(?:Operational|Programming|Database)Error", r"unrecognized token: ",
        r"near \"[^\"\n]{0,40}\": syntax error", r"\bSQLITE_ERROR\b", r"SQLite3?::(?:SQLException|Exception)",
        r"System\.Data\.SQLite\.SQLiteException", r"SQLiteException",
    ),
    "PostgreSQL": (
        r"PG::(?:Syntax|Undefined\w*)Error", r"psycopg2?\.errors\.", r"psycopg\.errors\.",
        r"unterminated quoted string at or near", r"syntax error at or near \"",
        r"org\.postgresql\.util\.PSQLException",
        r"\bpg_query\(\)", r"invalid input syntax for (?:type )?\w+",
    ),
    "MySQL": (
        r"You have an error in your SQL syntax", r"\bmysql_fetch_(?:array|assoc|row|object)\b",
        r"check the manual that corresponds to your (?:MySQL|MariaDB) server version",
        r"MySQLSyntaxErrorException", r"com\.mysql\.(?:cj\.)?jdbc", r"Warning: mysqli?_\w+\(",
    ),
    "MSSQL": (
        r"Unclosed quotation mark after the character string", r"Incorrect syntax near '",
        r"Microsoft OLE DB Provider for (?:SQL Server|ODBC)", r"System\.Data\.SqlClient\.SqlException",
        r"\[Microsoft\]\[ODBC SQL Server Driver\]", r"\[SQL Server\]",
    ),
    "Oracle": (r"\bORA-\d{5}\b", r"quoted string not properly terminated", r"oracle\.jdbc\.driver"),
    "SQL": (r"\bSQLSTATE\[\w+\]", r"\bSQLSTATE\s*[:=]\s*\w{5}\b", r"SQL syntax.{0,40}error"),
}
SQL_ERROR_RES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (db, re.compile(pattern, re.IGNORECASE)) for db, patterns in SQL_ERRORS.items() for pattern in patterns
)

# Boolean pairs: (family, true template, false template); {v} is the prefix value.
# Read-only operations get OR pairs (the true variant widens the query); write operations only ever get AND
# pairs (never widen an UPDATE/DELETE), with the example value as prefix so that "true" equals the baseline.
OR_PAIRS: tuple[tuple[str, str, str], ...] = (
    ("quote, commented", "{v}' OR '1'='1' -- ", "{v}' AND '1'='2' -- "),
    ("quote", "{v}' OR '1'='1", "{v}' AND '1'='2"),
)
AND_PAIRS: tuple[tuple[str, str, str], ...] = (
    ("quote, commented", "{v}' AND '1'='1' -- ", "{v}' AND '1'='2' -- "),
    ("quote", "{v}' AND '1'='1", "{v}' AND '1'='2"),
)
NUMERIC_OR_PAIR = ("numeric", "{v} OR 1=1 -- ", "{v} AND 1=2 -- ")
NUMERIC_AND_PAIR = ("numeric", "{v} AND 1=1 -- ", "{v} AND 1=2 -- ")

# Time-based: (database, template with {v} prefix and {s} seconds). None of them widens a WHERE clause.
# SQLite has no sleep function; a heavy randomblob/CTE cannot be calibrated safely, so it is not attempted.
SLEEP_SECONDS = 2
TIME_PAYLOADS: tuple[tuple[str, str], ...] = (
    ("PostgreSQL", "{v}'||(SELECT '' FROM pg_sleep({s}))||'"),
    ("MySQL", "{v}'||(SELECT SLEEP({s}))||'"),
    ("MSSQL", "{v}'; WAITFOR DELAY '0:0:{s}' -- "),
)

# --- NoSQL operators ------------------------------------------------------------------------------------------------
NOSQL_MATCH_ANY: tuple[dict[str, object], ...] = ({"$ne": None}, {"$gt": ""}, {"$regex": ".*"})

# --- OS command (marker computed by the shell, never present literally in the payload) ------------------------------
COMMAND_FORMS: tuple[tuple[str, str], ...] = (
    ("semicolon", "{v};echo {m}"),
    ("pipe", "{v}|echo {m}"),
    ("command substitution", "{v}$(echo {m})"),
    ("backticks", "{v}`echo {m}`"),
    ("single-quote break", "{v}';echo {m};'"),
)

# --- Template engines (unique product of two random numbers, never 49) ---------------------------------------------
# ERB/EJS syntax contains '>' (a shell redirection), so it is only sent where no shell evaluation was seen.
TEMPLATE_FORMS: tuple[tuple[str, str], ...] = (
    ("Jinja2/Twig/Nunjucks", "{{{{{a}*{b}}}}}"),
    ("FreeMarker/JSP EL/Thymeleaf", "${{{a}*{b}}}"),
    ("Ruby/Slim/Pug interpolation", "#{{{a}*{b}}}"),
)
ERB_FORM = ("ERB/EJS", "<%= {a}*{b} %>")

# --- Path traversal -------------------------------------------------------------------------------------------------
PASSWD = re.compile(r"root:[^:\n]*:0:0:")
WIN_INI = re.compile(r"^\s*\[(?:fonts|extensions|mci extensions|files|boot loader)\]", re.IGNORECASE | re.MULTILINE)
TRAVERSAL_SCREEN: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("absolute path", "/etc/passwd", PASSWD),
    ("../ x8", "../" * 8 + "etc/passwd", PASSWD),
    ("..\\ x8", "..\\" * 8 + "windows\\win.ini", WIN_INI),
)
TRAVERSAL_CONFIRM: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("../ x12", "../" * 12 + "etc/passwd", PASSWD),
    ("..%2f x8 (decoded twice)", "..%2f" * 8 + "etc%2fpasswd", PASSWD),
    ("./../ x10", "./../" * 10 + "etc//passwd", PASSWD),
    ("....// x8", "....//" * 8 + "etc/passwd", PASSWD),
    ("absolute path, dotted", "/etc/./passwd", PASSWD),
    ("..\\ x12", "..\\" * 12 + "windows\\win.ini", WIN_INI),
    ("absolute path", "c:\\windows\\win.ini", WIN_INI),
)


@dataclass(frozen=True, slots=True)
class Product:
    """Two random factors, their product, and the expression text as sent."""

    a: int
    b: int

    @property
    def value(self) -> str:
        return str(self.a * self.b)


def product() -> Product:
    """Random four-digit factors: a seven- or eight-digit product that no page contains by chance."""
    return Product(1009 + secrets.randbelow(8000), 1009 + secrets.randbelow(8000))


def unique_seed() -> str:
    """A quote-free, harmless prefix unique to one input: `sx` + 6 hex digits."""
    return "sx" + secrets.token_hex(3)


def harmless_like(text: str) -> str:
    """A quote-free random alphanumeric string as long as `text` (the control for a quote payload)."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(alphabet[secrets.randbelow(len(alphabet))] for _ in range(max(1, len(text))))


def command_marker(p: Product) -> tuple[str, str]:
    """(shell text `SECSCAN$((a*b))X`, the output it yields `SECSCAN<product>X`)."""
    return f"SECSCAN$(({p.a}*{p.b}))X", f"SECSCAN{p.value}X"


def sql_error(text: str) -> str | None:
    """The database whose error signature occurs in `text`, else None."""
    return next((db for db, pattern in SQL_ERROR_RES if pattern.search(text)), None)
