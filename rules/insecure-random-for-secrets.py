import random
import secrets
import string

ALPHABET = string.ascii_letters + string.digits


def create_reset(user):
    # ruleid: insecure-random-for-secrets
    reset_token = "".join(random.choice(ALPHABET) for _ in range(32))
    # ok: insecure-random-for-secrets
    safe_token = secrets.token_urlsafe(32)
    user.tokens = [reset_token, safe_token]


def send_otp(user):
    # ruleid: insecure-random-for-secrets
    user.otp = random.randint(100000, 999999)
    # ok: insecure-random-for-secrets
    user.otp_backup = secrets.randbelow(900000) + 100000


def generate_api_key() -> str:
    # ruleid: insecure-random-for-secrets
    return "%032x" % random.getrandbits(128)


def shuffle_cards(deck: list) -> list:
    # ok: insecure-random-for-secrets
    random.shuffle(deck)
    return deck
