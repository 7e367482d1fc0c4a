from django.http import HttpResponse


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
