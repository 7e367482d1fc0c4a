import hashlib
import os


def store_password(user, password: str):
    # ruleid: weak-hash-for-password
    user.password_hash = hashlib.md5(password.encode()).hexdigest()


def check_password(user, raw_password: str) -> bool:
    salt = user.salt
    # ruleid: weak-hash-for-password
    digest = hashlib.sha1((salt + raw_password).encode("utf-8")).hexdigest()
    return digest == user.password_hash


def legacy_hash(pwd: bytes) -> str:
    hasher = hashlib.new("md5")
    # ruleid: weak-hash-for-password
    hasher.update(pwd)
    return hasher.hexdigest()


def strong_hash(password: str) -> bytes:
    salt = os.urandom(16)
    # ok: weak-hash-for-password
    return salt + hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 600_000)


def file_checksum(content: bytes) -> str:
    # ok: weak-hash-for-password
    return hashlib.md5(content, usedforsecurity=False).hexdigest()
