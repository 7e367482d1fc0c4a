from aiohttp_session import setup as session_setup
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from django.http import HttpResponse
from fastapi import Response
from flask import Flask, make_response

app = Flask(__name__)


def remember_me(request, token: str):
    response = HttpResponse("ok")
    # ruleid: cookie-missing-httponly-flag
    response.set_cookie("remember", token, secure=True, max_age=3600)
    # ok: cookie-missing-httponly-flag
    response.set_cookie("remember", token, secure=True, httponly=True, max_age=3600)
    return response


def set_auth(response, jwt_token: str):
    # ruleid: cookie-missing-httponly-flag
    response.set_cookie("auth", jwt_token, secure=True, httponly=False)
    # ok: cookie-missing-httponly-flag
    response.set_cookie("auth", jwt_token, secure=True, httponly=True, samesite="Strict")


def fastapi_login(response: Response, token: str):
    # ruleid: cookie-missing-httponly-flag
    response.set_cookie(key="session", value=token, secure=True)
    # ok: cookie-missing-httponly-flag
    response.set_cookie(key="session", value=token, secure=True, httponly=True)


@app.route("/prefs")
def prefs():
    resp = make_response("ok")
    # ok: cookie-missing-httponly-flag
    resp.set_cookie("theme", "dark", secure=True, httponly=True)
    # ok: cookie-missing-httponly-flag
    resp.set_cookie("theme", "dark", **app.config["COOKIE_OPTIONS"])
    return resp


def copy_cookie(session, cookie):
    # ok: cookie-missing-httponly-flag
    session.cookies.set_cookie(cookie)


# ruleid: cookie-missing-httponly-flag
SESSION_COOKIE_HTTPONLY = False
# ok: cookie-missing-httponly-flag
CSRF_COOKIE_HTTPONLY = False

# ruleid: cookie-missing-httponly-flag
app.config.update(SESSION_COOKIE_HTTPONLY=False, SESSION_COOKIE_SECURE=True)
# ok: cookie-missing-httponly-flag
app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SECURE=True)


def make_aiohttp_app(aio_app, key):
    # ruleid: cookie-missing-httponly-flag
    session_setup(aio_app, EncryptedCookieStorage(key, secure=True, httponly=False))
    # ok: cookie-missing-httponly-flag
    session_setup(aio_app, EncryptedCookieStorage(key, secure=True))


def logout(response):
    # ok: cookie-missing-httponly-flag
    response.set_cookie("session", "", max_age=0)
