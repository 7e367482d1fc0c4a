from urllib.parse import urlparse

from aiohttp import web
from django.contrib.contenttypes.models import ContentType
from django.http import HttpResponseRedirect
from django.shortcuts import redirect as django_redirect
from django.utils.translation import check_for_language
from django.utils.http import url_has_allowed_host_and_scheme
from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from flask import Flask, abort, make_response, redirect, request, url_for

app = Flask(__name__)
api = FastAPI()
TRUSTED_HOSTS = {"example.com", "accounts.example.com"}


@app.route("/login", methods=["POST"])
def login():
    target = request.args.get("next", "/")
    # ruleid: open-redirect-taint
    return redirect(target)


@app.route("/logout")
def logout():
    # ruleid: open-redirect-taint
    resp = make_response(redirect(request.referrer or "/"))
    resp.delete_cookie("session")
    return resp


@app.route("/go")
def go():
    # ok: open-redirect-taint
    return redirect(url_for("profile", tab=request.args.get("tab")))


@app.route("/page/<slug>")
def page(slug):
    # ok: open-redirect-taint
    return redirect("/pages/" + slug)


@app.route("/checked")
def checked():
    target = request.args.get("next", "/")
    if urlparse(target).netloc not in TRUSTED_HOSTS:
        abort(400)
    # ok: open-redirect-taint
    return redirect(target)


@app.route("/checked-parsed")
def checked_parsed():
    target = request.args.get("next", "/")
    parsed = urlparse(target)
    if parsed.netloc or parsed.scheme:
        return redirect("/")
    # ok: open-redirect-taint
    return redirect(target)


@app.route("/relative-only")
def relative_only():
    target = request.values.get("next", "/")
    if target.startswith("/") and not target.startswith("//"):
        # ok: open-redirect-taint
        return redirect(target)
    return redirect("/")


@app.route("/prefix")
def prefix():
    # ruleid: open-redirect-taint
    return redirect("/" + request.args["to"])


@api.get("/oauth/callback")
def oauth_callback(state: str, code: str):
    # ruleid: open-redirect-taint
    return RedirectResponse(url=state)


@api.get("/docs-redirect")
def docs_redirect(section: int):
    # ok: open-redirect-taint
    return RedirectResponse(f"https://docs.example.com/{section}")


def django_next(request):
    nxt = request.GET.get("next", "/")
    if url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        # ok: open-redirect-taint
        return HttpResponseRedirect(nxt)
    # ruleid: open-redirect-taint
    return django_redirect(request.POST["return_to"])


def django_location(request):
    response = HttpResponseRedirect("/")
    # ruleid: open-redirect-taint
    response["Location"] = request.GET["to"]
    return response


async def aiohttp_jump(request):
    # ruleid: open-redirect-taint
    raise web.HTTPFound(request.query["to"])


async def aiohttp_home(request):
    # ok: open-redirect-taint
    raise web.HTTPFound(request.app.router["home"].url_for())


def after_save(obj):
    # ok: open-redirect-taint
    return redirect(obj.get_absolute_url())


def set_language(request):
    next_url = request.POST.get("next", request.GET.get("next"))
    if next_url and not url_has_allowed_host_and_scheme(url=next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    # ok: open-redirect-taint
    return HttpResponseRedirect(next_url)


def object_shortcut(request, content_type_id, object_id):
    content_type = ContentType.objects.get(pk=content_type_id)
    obj = content_type.get_object_for_this_type(pk=object_id)
    # ok: open-redirect-taint
    return HttpResponseRedirect(obj.get_absolute_url())


def switch_locale(request):
    lang = request.POST.get("language", "en")
    if not check_for_language(lang):
        return HttpResponseRedirect("/")
    # ok: open-redirect-taint
    return HttpResponseRedirect("/" + lang + "/")


LANDING_PAGES = {"dash": "/dashboard", "billing": "/billing"}


def sso_landing(request):
    state = request.GET.get("state", "")
    # ok: open-redirect-taint
    first = HttpResponseRedirect(LANDING_PAGES.get(state, "/dashboard"))
    # ruleid: open-redirect-taint
    second = HttpResponseRedirect(LANDING_PAGES.get(state, state))
    return first or second
