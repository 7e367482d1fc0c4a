import os

from flask import Flask

app = Flask(__name__)
# ruleid: hardcoded-flask-secret-key
app.secret_key = "s3cr3t-dev-key-123"
# ruleid: hardcoded-flask-secret-key
app.config["SECRET_KEY"] = "change-me-please"
# ok: hardcoded-flask-secret-key
app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
# ok: hardcoded-flask-secret-key
app.secret_key = os.urandom(32)


class Config:
    # ruleid: hardcoded-flask-secret-key
    SECRET_KEY = os.environ.get("SECRET_KEY", "insecure-fallback")


class ProdConfig:
    # ok: hardcoded-flask-secret-key
    SECRET_KEY = os.environ["SECRET_KEY"]
