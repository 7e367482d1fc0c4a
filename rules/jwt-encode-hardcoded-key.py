import os

import jwt

SIGNING_KEY = os.environ["JWT_SIGNING_KEY"]


def issue_token(user_id: int) -> str:
    # ruleid: jwt-encode-hardcoded-key
    token = jwt.encode({"sub": str(user_id)}, "hunter2-signing-key", algorithm="HS256")
    # ok: jwt-encode-hardcoded-key
    token2 = jwt.encode({"sub": str(user_id)}, SIGNING_KEY, algorithm="HS256")
    return token + token2


def read_token(token: str) -> dict:
    # ruleid: jwt-encode-hardcoded-key
    return jwt.decode(token, key="hunter2-signing-key", algorithms=["HS256"])


def read_token_ok(token: str) -> dict:
    # ok: jwt-encode-hardcoded-key
    return jwt.decode(token, SIGNING_KEY, algorithms=["HS256"])
