import jwt

SECRET = load_secret()


def current_user(token: str):
    # ruleid: jwt-signature-verification-disabled
    claims = jwt.decode(token, options={"verify_signature": False})
    # ok: jwt-signature-verification-disabled
    verified = jwt.decode(token, SECRET, algorithms=["HS256"])
    return claims, verified


def legacy_user(token: str):
    # ruleid: jwt-signature-verification-disabled
    return jwt.decode(token, SECRET, verify=False)


def lenient_user(token: str):
    opts = {"verify_signature": False, "verify_exp": False}
    # ruleid: jwt-signature-verification-disabled
    return jwt.decode(token, SECRET, algorithms=["HS256"], options=opts)


def no_aud(token: str):
    # ok: jwt-signature-verification-disabled
    return jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_aud": False})
