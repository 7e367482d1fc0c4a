from aiohttp import web
from aiohttp_session import get_session
from django.http import JsonResponse
from fastapi import FastAPI, Request
from flask import Flask, abort, jsonify, request, session

app = Flask(__name__)
api = FastAPI()
LANGUAGES = {"en", "de", "fr"}


@app.route("/login", methods=["POST"])
def login():
    user = authenticate(request.form["username"], request.form["password"])
    if user is None:
        abort(401)
    # ok: trust-boundary-session-taint
    session["user_id"] = user.id
    # ruleid: trust-boundary-session-taint
    session["display_name"] = request.form["username"]
    return jsonify(ok=True)


@app.route("/prefs", methods=["POST"])
def prefs():
    # ruleid: trust-boundary-session-taint
    session[request.form["key"]] = "enabled"
    # ruleid: trust-boundary-session-taint
    session.update(request.get_json())
    lang = request.form.get("lang", "en")
    if lang not in LANGUAGES:
        abort(400)
    # ok: trust-boundary-session-taint
    session["lang"] = lang
    # ok: trust-boundary-session-taint
    session["page_size"] = int(request.form.get("page_size", "20"))
    return jsonify(ok=True)


@app.route("/cart/<item>")
def add_to_cart(item):
    cart = session.setdefault("cart", [])
    cart.append("sku-1")
    # ruleid: trust-boundary-session-taint
    session.setdefault("last_item", item)
    return jsonify(cart=cart)


@app.route("/theme")
def theme():
    param = request.args.get("theme", "")
    bar = "dark" if 10 * 10 > 50 else param
    # ok: trust-boundary-session-taint
    session["theme"] = bar
    return jsonify(theme=bar)


@api.post("/starlette-session")
async def starlette_session(request: Request):
    # ok: trust-boundary-session-taint
    request.session["visits"] = request.session.get("visits", 0) + 1
    data = await request.json()
    # ruleid: trust-boundary-session-taint
    request.session["nickname"] = data["nickname"]
    return {"ok": True}


def django_remember(request):
    # ruleid: trust-boundary-session-taint
    request.session["referrer"] = request.GET.get("ref", "")
    # ok: trust-boundary-session-taint
    request.session["seen_banner"] = True
    return JsonResponse({"ok": True})


async def aiohttp_store(request):
    sess = await get_session(request)
    data = await request.post()
    # ruleid: trust-boundary-session-taint
    sess["comment"] = data["comment"]
    # ok: trust-boundary-session-taint
    sess["last_action"] = "comment"
    return web.json_response({"ok": True})


def authenticate(username, password):
    return None


class ThemeView(View):
    THEMES = {"light": "light", "dark": "dark"}

    def post(self, request):
        # ok: trust-boundary-session-taint
        request.session["theme"] = self.THEMES.get(request.POST.get("theme", ""), "light")
        # ruleid: trust-boundary-session-taint
        request.session["theme_raw"] = self.THEMES.get(request.POST.get("theme", ""), request.POST.get("theme"))
        return redirect("/")
