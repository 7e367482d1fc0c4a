import os
import shutil
import uuid
from pathlib import Path

from aiohttp import web
from django.http import FileResponse as DjangoFileResponse
from fastapi import FastAPI
from fastapi.responses import FileResponse
from flask import Flask, abort, request, safe_join, send_file, send_from_directory
from werkzeug.utils import secure_filename

app = Flask(__name__)
api = FastAPI()
UPLOAD_DIR = "/srv/app/uploads"
REPORT_DIR = Path("/srv/app/reports")
THEMES = {"light", "dark"}


@app.route("/attachments")
def read_attachment():
    name = request.args["name"]
    # ruleid: path-traversal-taint
    with open(os.path.join(UPLOAD_DIR, name)) as fh:
        data = fh.read()
    # ok: path-traversal-taint
    with open(os.path.join(UPLOAD_DIR, os.path.basename(name))) as fh:
        data += fh.read()
    # ok: path-traversal-taint
    with open(os.path.join(UPLOAD_DIR, secure_filename(name))) as fh:
        data += fh.read()
    return data


@app.route("/exports/download")
def download_export():
    # ruleid: path-traversal-taint
    return send_file(request.args["path"])


@app.route("/files/<path:filename>")
def serve_file(filename):
    # ok: path-traversal-taint
    return send_from_directory(UPLOAD_DIR, filename)


@app.route("/tenant-files/<tenant>/<path:filename>")
def serve_tenant_file(tenant, filename):
    # ruleid: path-traversal-taint
    return send_from_directory(os.path.join(UPLOAD_DIR, tenant), filename)


@app.route("/safe-join")
def safe_join_view():
    path = safe_join(UPLOAD_DIR, request.args["p"])
    if path is None:
        abort(404)
    # ok: path-traversal-taint
    return send_file(path)


@app.route("/resolved")
def resolved():
    requested = os.path.realpath(os.path.join(UPLOAD_DIR, request.args["p"]))
    if not requested.startswith(UPLOAD_DIR + os.sep):
        abort(403)
    # ok: path-traversal-taint
    return send_file(requested)


@app.route("/unchecked-realpath")
def unchecked_realpath():
    requested = os.path.realpath(os.path.join(UPLOAD_DIR, request.args["p"]))
    # ruleid: path-traversal-taint
    return send_file(requested)


@app.route("/reports/<name>")
def report(name):
    target = (REPORT_DIR / name).resolve()
    if not target.is_relative_to(REPORT_DIR):
        abort(403)
    # ok: path-traversal-taint
    return target.read_text()


@app.route("/reports-unchecked/<name>")
def report_unchecked(name):
    target = REPORT_DIR / name
    # ruleid: path-traversal-taint
    return target.read_text()


@app.route("/pathlib-open")
def pathlib_open():
    p = Path(UPLOAD_DIR) / request.args["f"]
    # ruleid: path-traversal-taint
    with p.open() as fh:
        return fh.read()


@app.route("/theme")
def theme():
    choice = request.cookies.get("theme", "light")
    if choice not in THEMES:
        choice = "light"
        abort(400)
    # ok: path-traversal-taint
    return send_file(os.path.join("static/themes", choice + ".css"))


@app.route("/invoices/<invoice_id>")
def invoice(invoice_id):
    # ok: path-traversal-taint
    return send_file(os.path.join("/srv/invoices", str(uuid.UUID(invoice_id)) + ".pdf"))


@app.route("/upload", methods=["POST"])
def upload():
    f = request.files["file"]
    # ruleid: path-traversal-taint
    f.save(os.path.join(UPLOAD_DIR, f.filename))
    # ok: path-traversal-taint
    f.save(os.path.join(UPLOAD_DIR, secure_filename(f.filename)))
    return "saved"


@app.route("/cleanup", methods=["POST"])
def cleanup():
    folder = request.form["folder"]
    # ruleid: path-traversal-taint
    shutil.rmtree(os.path.join(UPLOAD_DIR, folder))
    # ruleid: path-traversal-taint
    os.remove(request.form["file"])
    # ruleid: path-traversal-taint
    shutil.copy("/srv/app/template.txt", request.form["dest"])
    # ok: path-traversal-taint
    os.remove(os.path.join(UPLOAD_DIR, "tmp.lock"))
    return "done"


@api.get("/download/{name}")
def fastapi_download(name: str):
    # ruleid: path-traversal-taint
    return FileResponse(f"/srv/app/exports/{name}")


@api.get("/download-by-id/{export_id}")
def fastapi_download_by_id(export_id: int):
    # ok: path-traversal-taint
    return FileResponse(f"/srv/app/exports/{export_id}.csv")


def django_download(request, filename):
    # ruleid: path-traversal-taint
    return DjangoFileResponse(open(os.path.join(UPLOAD_DIR, filename), "rb"))


async def aiohttp_download(request):
    name = request.match_info["name"]
    # ruleid: path-traversal-taint
    return web.FileResponse(os.path.join(UPLOAD_DIR, name))


def rotate_logs(directory):
    # ok: path-traversal-taint
    for entry in os.listdir(directory):
        os.remove(os.path.join(directory, entry))
