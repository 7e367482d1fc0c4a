import urllib.request

import httpx
import requests
from fastapi import FastAPI
from flask import Flask, request

app = Flask(__name__)
api = FastAPI()


@app.route("/preview")
def preview():
    target = request.args.get("url", "")
    # ruleid: ssrf-request-url-taint
    resp = requests.get(target, timeout=5)
    # ok: ssrf-request-url-taint
    meta = requests.get(f"https://api.example.com/v1/items/{target}", timeout=5)
    return resp.text + meta.text


@app.route("/avatar", methods=["POST"])
def avatar():
    data = request.get_json()
    # ruleid: ssrf-request-url-taint
    with urllib.request.urlopen(data["avatar_url"]) as fh:
        return fh.read()


@api.get("/proxy")
async def proxy(url: str):
    async with httpx.AsyncClient(timeout=5) as client:
        # ruleid: ssrf-request-url-taint
        r = await client.get(url)
        # ok: ssrf-request-url-taint
        r2 = await client.get("https://status.example.com/health")
    return r.text + r2.text


@api.get("/weather")
def weather(city: str):
    # ok: ssrf-request-url-taint
    return httpx.get("https://weather.example.com/api/" + city).json()


@app.route("/bookmarks/fetch")
def fetch_bookmark():
    url = request.args["url"]
    if not is_allowed_url(url, ALLOWED_HOSTS):
        return "host not allowed", 400
    # ok: ssrf-request-url-taint
    return requests.get(url, timeout=5, allow_redirects=False).text


ALLOWED_HOSTS = {"example.com"}


def is_allowed_url(url: str, hosts: set[str]) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.scheme == "https" and parts.hostname in hosts
