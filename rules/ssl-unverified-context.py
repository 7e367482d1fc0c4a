import ssl
import urllib.request


def fetch(url: str) -> bytes:
    # ruleid: ssl-unverified-context
    ctx = ssl._create_unverified_context()
    with urllib.request.urlopen(url, context=ctx) as resp:
        return resp.read()


def internal_context() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    # ruleid: ssl-unverified-context
    ctx.check_hostname = False
    # ruleid: ssl-unverified-context
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def private_ca_context() -> ssl.SSLContext:
    # ok: ssl-unverified-context
    ctx = ssl.create_default_context(cafile="/etc/ssl/internal-ca.pem")
    # ok: ssl-unverified-context
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def client_context(verify: bool) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if verify is False:
        # ok: ssl-unverified-context
        ctx.check_hostname = False
    return ctx


def legacy_context(cafile: str) -> ssl.SSLContext:
    # ruleid: ssl-unverified-context
    ctx = ssl._create_unverified_context(cafile=cafile)
    return ctx
