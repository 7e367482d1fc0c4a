import urllib.request
from urllib.parse import quote, urlparse

import aiohttp
import httpx
import requests
from fastapi import FastAPI
from flask import Flask, abort, jsonify, request

app = Flask(__name__)
api = FastAPI()
ALLOWED_HOSTS = {"api.partner.example", "cdn.example.com"}
session = requests.Session()


@app.route("/fetch")
def fetch():
    url = request.args.get("url")
    # ruleid: ssrf-request-url-taint
    resp = requests.get(url, timeout=5)
    # ruleid: ssrf-request-url-taint
    requests.request("POST", request.form["hook"], json={"event": "ping"})
    # ok: ssrf-request-url-taint
    requests.get("https://api.partner.example/v1/items/" + quote(url), timeout=5)
    # ok: ssrf-request-url-taint
    requests.get(f"https://api.partner.example/v1/items/{url}", timeout=5)
    # ok: ssrf-request-url-taint
    requests.get("https://status.example.com/health", timeout=5)
    return resp.text


@app.route("/proxy")
def proxy():
    target = request.args["target"]
    # ruleid: ssrf-request-url-taint
    body = urllib.request.urlopen(target).read()
    # ruleid: ssrf-request-url-taint
    req = urllib.request.Request("http://" + target + "/status")
    urllib.request.urlopen(req)
    # ruleid: ssrf-request-url-taint
    session.post(target, data=body)
    return body


@app.route("/preview")
def preview():
    url = request.args["url"]
    if urlparse(url).hostname not in ALLOWED_HOSTS:
        abort(400)
    # ok: ssrf-request-url-taint
    return requests.get(url, timeout=5).text


@app.route("/preview2")
def preview2():
    url = request.args["url"]
    parsed = urlparse(url)
    if parsed.netloc in ALLOWED_HOSTS:
        # ok: ssrf-request-url-taint
        return requests.get(url, timeout=5).text
    return "blocked", 400


@app.route("/mirror")
def mirror():
    host = request.args.get("host", "")
    if host not in ALLOWED_HOSTS:
        abort(400)
    # ok: ssrf-request-url-taint
    return requests.get(f"https://{host}/mirror.json", timeout=5).text


@app.route("/avatar")
def avatar():
    # ruleid: ssrf-request-url-taint
    return httpx.get(f"{request.args['base']}/avatar.png").content


@api.get("/link-preview")
async def link_preview(url: str, page: int = 1):
    async with httpx.AsyncClient() as client:
        # ruleid: ssrf-request-url-taint
        r = await client.get(url)
        # ok: ssrf-request-url-taint
        await client.get(f"https://news.example.com/page/{page}")
    async with aiohttp.ClientSession() as http:
        # ruleid: ssrf-request-url-taint
        async with http.get(url) as resp2:
            await resp2.text()
    return {"status": r.status_code}


@api.get("/partner/{partner_id}")
def partner(partner_id: int):
    # ok: ssrf-request-url-taint
    return httpx.get(f"https://partners.example.com/{partner_id}/status").json()


def webhook_view(request, hook_id):
    # ruleid: ssrf-request-url-taint
    requests.post(request.POST["callback"], json={"id": hook_id})
    return jsonify(ok=True)


def refresh_feed(feed_url):
    # ok: ssrf-request-url-taint
    return requests.get(feed_url, timeout=10).text
