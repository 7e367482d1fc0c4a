import hashlib
import random
import secrets
import string

from flask import Flask, make_response, session

app = Flask(__name__)
ALPHABET = string.ascii_letters + string.digits


def generate_reset_token():
    chars = "".join(random.choice(ALPHABET) for _ in range(32))
    # ruleid: insecure-random-for-secrets
    return chars


def generate_reset_token_secure():
    # ok: insecure-random-for-secrets
    return "".join(secrets.choice(ALPHABET) for _ in range(32))


def issue_api_key(user):
    # ruleid: insecure-random-for-secrets
    user.api_key = "%032x" % random.getrandbits(128)
    # ok: insecure-random-for-secrets
    user.api_key = secrets.token_hex(16)
    return user


def new_otp():
    # ruleid: insecure-random-for-secrets
    otp = str(random.randint(100000, 999999))
    # ok: insecure-random-for-secrets
    otp_secure = str(secrets.randbelow(900000) + 100000)
    return otp, otp_secure


@app.route("/remember")
def remember():
    resp = make_response("ok")
    value = hashlib.sha256(str(random.random()).encode()).hexdigest()
    # ruleid: insecure-random-for-secrets
    resp.set_cookie("remember", value, secure=True, httponly=True)
    # ok: insecure-random-for-secrets
    resp.set_cookie("remember2", secrets.token_urlsafe(32), secure=True, httponly=True)
    # ruleid: insecure-random-for-secrets
    session["csrf"] = random.random()
    return resp


def sampling():
    # ok: insecure-random-for-secrets
    delay = random.uniform(0.5, 1.5)
    # ok: insecure-random-for-secrets
    colour = random.choice(["red", "green", "blue"])
    # ok: insecure-random-for-secrets
    rng = random.SystemRandom()
    salt = rng.getrandbits(64)
    return delay, colour, salt


def create_session(db):
    # ruleid: insecure-random-for-secrets
    db.insert({"session_id": random.randrange(10**12), "user": "alice"})
    # ok: insecure-random-for-secrets
    db.insert({"retry_after": random.randrange(10), "user": "alice"})
