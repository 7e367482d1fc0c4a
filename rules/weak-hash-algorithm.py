import hashlib
import hmac

from Crypto.Hash import MD5, SHA256
from cryptography.hazmat.primitives import hashes
from flask import Flask, request

app = Flask(__name__)


def hash_password(password: str, salt: bytes) -> str:
    # ruleid: weak-hash-algorithm
    return hashlib.md5(salt + password.encode()).hexdigest()


def hash_password_strong(password: str, salt: bytes) -> bytes:
    # ok: weak-hash-algorithm
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 600_000)


def legacy_pbkdf2(password: str, salt: bytes) -> bytes:
    # ruleid: weak-hash-algorithm
    return hashlib.pbkdf2_hmac("sha1", password.encode(), salt, 1000)


@app.route("/sign", methods=["POST"])
def sign():
    data = request.get_data()
    # ruleid: weak-hash-algorithm
    digest = hashlib.new("SHA1", data).hexdigest()
    # ruleid: weak-hash-algorithm
    h = hashlib.sha1()
    h.update(data)
    # ok: weak-hash-algorithm
    strong = hashlib.sha256(data).hexdigest()
    # ok: weak-hash-algorithm
    also_strong = hashlib.new("sha512", data).hexdigest()
    return {"digest": digest, "h": h.hexdigest(), "strong": strong, "also": also_strong}


def etag(body: bytes) -> str:
    # ok: weak-hash-algorithm
    return hashlib.md5(body, usedforsecurity=False).hexdigest()


def cache_key(name: str) -> str:
    # ok: weak-hash-algorithm
    return hashlib.new("md5", name.encode(), usedforsecurity=False).hexdigest()


def pycryptodome_digest(message: bytes) -> str:
    # ruleid: weak-hash-algorithm
    weak = MD5.new(message).hexdigest()
    # ok: weak-hash-algorithm
    good = SHA256.new(message).hexdigest()
    return weak + good


def cryptography_digest(message: bytes) -> bytes:
    # ruleid: weak-hash-algorithm
    digest = hashes.Hash(hashes.SHA1())
    digest.update(message)
    return digest.finalize()


def mac(key: bytes, message: bytes) -> str:
    # ruleid: weak-hash-algorithm
    weak = hmac.new(key, message, hashlib.md5).hexdigest()
    # ok: weak-hash-algorithm
    good = hmac.new(key, message, hashlib.sha256).hexdigest()
    return weak + good


def generate_etag(payload: bytes) -> str:
    # ok: weak-hash-algorithm
    return hashlib.sha1(payload).hexdigest()


# ruleid: weak-hash-algorithm
MODULE_SIGNATURE = hashlib.md5(b"release-2024").hexdigest()
