import os

# ruleid: hardcoded-jwt-secret-variable
JWT_SECRET = "my-super-secret-jwt-key"
# ok: hardcoded-jwt-secret-variable
JWT_ALGORITHM = "HS256"


class Settings:
    # ruleid: hardcoded-jwt-secret-variable
    jwt_secret_key = os.getenv("JWT_SECRET_KEY", "dev-only-secret")
    # ok: hardcoded-jwt-secret-variable
    access_token_secret = os.environ["ACCESS_TOKEN_SECRET"]


def configure(app):
    # ruleid: hardcoded-jwt-secret-variable
    app.config["JWT_SECRET_KEY"] = "another-hardcoded-value"
    # ok: hardcoded-jwt-secret-variable
    app.config["JWT_SECRET_KEY"] = os.environ["JWT_SECRET_KEY"]
