import httpx
import requests


def fetch_status(url: str):
    # ruleid: tls-verify-disabled
    r = requests.get(url, timeout=5, verify=False)
    # ok: tls-verify-disabled
    r2 = requests.get(url, timeout=5, verify="/etc/ssl/certs/internal-ca.pem")
    return r.status_code, r2.status_code


async def fetch_async(url: str):
    # ruleid: tls-verify-disabled
    async with httpx.AsyncClient(verify=False) as client:
        return (await client.get(url)).text


def fetch_sync(url: str):
    # ok: tls-verify-disabled
    with httpx.Client(timeout=10.0) as client:
        return client.get(url).text


def session_calls(url: str):
    session = requests.Session()
    # ruleid: tls-verify-disabled
    session.verify = False
    # ruleid: tls-verify-disabled
    return session.post(url, json={}, verify=False)


def quick(url: str):
    # ruleid: tls-verify-disabled
    return httpx.get(url, verify=False)
