import os

from fastapi import FastAPI
from fastapi.responses import FileResponse
from flask import Flask, request, send_file, send_from_directory
from werkzeug.utils import secure_filename

app = Flask(__name__)
api = FastAPI()
UPLOADS = "/srv/uploads"


@app.route("/download")
def download():
    name = request.args.get("file", "")
    # ruleid: path-traversal-taint
    return send_file(os.path.join(UPLOADS, name))


@app.route("/download-safe")
def download_safe():
    name = request.args.get("file", "")
    # ok: path-traversal-taint
    return send_from_directory(UPLOADS, name)


@app.route("/notes/<note>")
def read_note(note):
    path = os.path.join("/srv/notes", note)
    # ruleid: path-traversal-taint
    with open(path) as fh:
        body = fh.read()
    # ok: path-traversal-taint
    with open(os.path.join("/srv/notes", secure_filename(note))) as fh:
        body += fh.read()
    return body


@api.get("/reports/{report_name}")
def report(report_name: str):
    # ruleid: path-traversal-taint
    return FileResponse(f"/srv/reports/{report_name}.pdf")


@api.get("/logo")
def logo(variant: str = "dark"):
    # ok: path-traversal-taint
    return FileResponse(os.path.join("/srv/static", os.path.basename(variant) + ".png"))


def safe_upload_path(name: str) -> str:
    return os.path.join(UPLOADS, secure_filename(name))


@app.route("/attachments")
def read_attachment():
    # ok: path-traversal-taint
    with open(safe_upload_path(request.args["name"]), encoding="utf-8") as fh:
        return fh.read()
