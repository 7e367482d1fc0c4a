import jwt

KEY = get_key()


def parse(token: str):
    # ruleid: jwt-none-algorithm
    claims = jwt.decode(token, KEY, algorithms=["HS256", "none"])
    # ok: jwt-none-algorithm
    strict = jwt.decode(token, KEY, algorithms=["HS256"])
    return claims, strict


def issue(payload: dict):
    # ruleid: jwt-none-algorithm
    unsigned = jwt.encode(payload, None, algorithm="none")
    # ok: jwt-none-algorithm
    signed = jwt.encode(payload, KEY, algorithm="HS256")
    return unsigned, signed
