from fastapi import Response
from flask import make_response


def login_flask(session_id: str):
    resp = make_response("ok")
    # ruleid: cookie-missing-secure-flag
    resp.set_cookie("session", session_id, httponly=True)
    # ok: cookie-missing-secure-flag
    resp.set_cookie("session", session_id, secure=True, httponly=True, samesite="Lax")
    return resp


def login_fastapi(response: Response, token: str):
    # ruleid: cookie-missing-secure-flag
    response.set_cookie(key="access_token", value=token, httponly=True, secure=False)
    # ok: cookie-missing-secure-flag
    response.set_cookie(key="access_token", value=token, httponly=True, secure=True)


def copy_cookie(session, cookie):
    # ok: cookie-missing-secure-flag
    session.cookies.set_cookie(cookie)
