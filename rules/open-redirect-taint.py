from django.shortcuts import redirect as dj_redirect
from django.utils.http import url_has_allowed_host_and_scheme
from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from flask import Flask, redirect, request, url_for

app = Flask(__name__)
api = FastAPI()


@app.route("/login", methods=["POST"])
def login():
    next_url = request.args.get("next", "/")
    # ruleid: open-redirect-taint
    return redirect(next_url)


@app.route("/logout")
def logout():
    # ok: open-redirect-taint
    return redirect(url_for("index"))


@api.get("/go")
def go(target: str):
    # ruleid: open-redirect-taint
    return RedirectResponse(target)


def django_login(request):
    next_url = request.GET.get("next", "/")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={"example.com"}):
        # ok: open-redirect-taint
        return dj_redirect(next_url)
    # ruleid: open-redirect-taint
    return dj_redirect(request.POST["next"])
