from aiohttp_session import setup as session_setup
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from django.http import HttpResponse
from fastapi import FastAPI, Response
from flask import Flask, make_response, request
from starlette.middleware.sessions import SessionMiddleware

app = Flask(__name__)
api = FastAPI()


@app.route("/login", methods=["POST"])
def login_flask():
    resp = make_response("ok")
    # ruleid: cookie-missing-secure-flag
    resp.set_cookie("session", request.form["sid"], httponly=True)
    # ok: cookie-missing-secure-flag
    resp.set_cookie("session", request.form["sid"], secure=True, httponly=True, samesite="Lax")
    # ok: cookie-missing-secure-flag
    resp.set_cookie("prefs", "dark", secure=request.is_secure, httponly=True)
    return resp


@api.post("/token")
def login_fastapi(response: Response, token: str):
    # ruleid: cookie-missing-secure-flag
    response.set_cookie(key="access_token", value=token, httponly=True, secure=False)
    # ruleid: cookie-missing-secure-flag
    response.set_cookie(key="refresh_token", value=token, httponly=True)
    # ok: cookie-missing-secure-flag
    response.set_cookie(key="access_token", value=token, httponly=True, secure=True)
    return {"ok": True}


def django_view(request):
    response = HttpResponse("ok")
    # ruleid: cookie-missing-secure-flag
    response.set_signed_cookie("cart", "42", httponly=True)
    # ok: cookie-missing-secure-flag
    response.set_signed_cookie("cart", "42", secure=True, httponly=True)
    return response


def copy_cookie(session, cookie, jar):
    # ok: cookie-missing-secure-flag
    session.cookies.set_cookie(cookie)
    # ok: cookie-missing-secure-flag
    jar.set_cookie(cookie)


def set_all(response, options):
    # ok: cookie-missing-secure-flag
    response.set_cookie("session", "x", **options)


# Django settings
# ruleid: cookie-missing-secure-flag
SESSION_COOKIE_SECURE = False
# ruleid: cookie-missing-secure-flag
CSRF_COOKIE_SECURE = False
# ok: cookie-missing-secure-flag
SESSION_COOKIE_SAMESITE = "Lax"

# ruleid: cookie-missing-secure-flag
app.config["SESSION_COOKIE_SECURE"] = False
# ok: cookie-missing-secure-flag
app.config["SESSION_COOKIE_SECURE"] = True


def make_aiohttp_app(aio_app, key):
    # ruleid: cookie-missing-secure-flag
    session_setup(aio_app, EncryptedCookieStorage(key))
    # ok: cookie-missing-secure-flag
    session_setup(aio_app, EncryptedCookieStorage(key, secure=True, httponly=True))


# ruleid: cookie-missing-secure-flag
api.add_middleware(SessionMiddleware, secret_key="from-env")
# ok: cookie-missing-secure-flag
api.add_middleware(SessionMiddleware, secret_key="from-env", https_only=True)


def logout(response):
    # ok: cookie-missing-secure-flag
    response.set_cookie("session", "", max_age=0)
