import html
import json

import jinja2
from aiohttp import web
from django.http import HttpResponse, JsonResponse
from django.utils.html import escape as django_escape
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from flask import Blueprint, Flask, Response, escape, jsonify, make_response, redirect, render_template
from flask import render_template_string, request, url_for
from markupsafe import Markup

app = Flask(__name__)
bp = Blueprint("pages", __name__)
api = FastAPI()


@app.route("/hello")
def hello():
    name = request.args.get("name", "friend")
    # ruleid: xss-reflected-taint
    return "<h1>Hello " + name + "!</h1>"


@app.route("/hello-escaped")
def hello_escaped():
    name = request.args.get("name", "friend")
    # ok: xss-reflected-taint
    return "<h1>Hello %s!</h1>" % escape(name)


@app.route("/hello-html-escape")
def hello_html_escape():
    # ok: xss-reflected-taint
    return f"<h1>Hello {html.escape(request.args['name'])}!</h1>"


@app.route("/hello-template")
def hello_template():
    # ok: xss-reflected-taint
    return render_template("hello.html", name=request.args.get("name"))


@app.route("/hello-template-string")
def hello_template_string():
    # ok: xss-reflected-taint
    return render_template_string("<h1>Hello {{ name }}</h1>", name=request.args.get("name"))


@app.route("/ssti")
def ssti():
    name = request.args.get("name", "")
    # ruleid: xss-reflected-taint
    return render_template_string("<h1>Hello " + name + "</h1>")


@app.route("/search")
def search():
    q = request.args.get("q", "")
    # ruleid: xss-reflected-taint
    resp = make_response(f"<p>No results for {q}</p>")
    resp.headers["X-Search"] = "1"
    return resp


@app.route("/api/search")
def api_search():
    q = request.args.get("q", "")
    # ok: xss-reflected-taint
    return jsonify(query=q, results=[])


@app.route("/api/raw")
def api_raw():
    q = request.args.get("q", "")
    # ok: xss-reflected-taint
    return Response(json.dumps({"q": q}), mimetype="application/json")


@app.route("/dict")
def as_dict():
    # ok: xss-reflected-taint
    return {"echo": request.args.get("q")}


@app.route("/next")
def next_page():
    # ok: xss-reflected-taint
    return redirect(url_for("index", page=request.args.get("page")))


@bp.post("/preview")
def preview():
    # ruleid: xss-reflected-taint
    body = Markup(request.form["body"])
    return f"<article>{body}</article>"


@bp.post("/preview-safe")
def preview_safe():
    # ok: xss-reflected-taint
    return Markup("<article>{}</article>").format(request.form["body"])


@app.route("/page/<title>")
def page(title):
    # ruleid: xss-reflected-taint
    return Response("<title>" + title + "</title>", mimetype="text/html")


@app.route("/count")
def count():
    # ok: xss-reflected-taint
    return "<p>%d items</p>" % int(request.args.get("n", "0"))


@app.route("/signature")
def signature():
    # ok: xss-reflected-taint
    return render_signature(request.args.get("sig", ""))


@app.route("/jinja")
def jinja_source():
    # ruleid: xss-reflected-taint
    return jinja2.Template(request.args["tpl"]).render()


@api.get("/welcome", response_class=HTMLResponse)
def welcome(user: str):
    # ruleid: xss-reflected-taint
    return HTMLResponse(f"<h1>Welcome {user}</h1>")


@api.get("/welcome-json")
def welcome_json(user: str):
    # ok: xss-reflected-taint
    return f"Welcome {user}"


def django_greet(request):
    name = request.GET.get("name", "")
    # ruleid: xss-reflected-taint
    return HttpResponse("<p>Hello " + name + "</p>")


def django_greet_escaped(request):
    # ok: xss-reflected-taint
    return HttpResponse("<p>Hello " + django_escape(request.GET.get("name", "")) + "</p>")


def django_banner(request, slug):
    # ruleid: xss-reflected-taint
    banner = mark_safe(f"<div class='banner'>{slug}</div>")
    # ok: xss-reflected-taint
    safe = format_html("<div class='banner'>{}</div>", slug)
    return JsonResponse({"banner": banner, "safe": safe})


def django_plain(request):
    # ok: xss-reflected-taint
    return HttpResponse(request.GET.get("q", ""), content_type="text/plain")


async def aiohttp_echo(request):
    # ruleid: xss-reflected-taint
    return web.Response(text="<p>" + request.query["q"] + "</p>", content_type="text/html")


async def aiohttp_echo_text(request):
    # ok: xss-reflected-taint
    return web.Response(text="echo: " + request.query["q"])


def render_signature(text):
    # ok: xss-reflected-taint
    return Markup(text)
