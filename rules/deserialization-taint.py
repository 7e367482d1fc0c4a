import base64
import json
import marshal
import pickle
import shelve

import dill
import jsonpickle
import pandas as pd
import yaml
from django.http import JsonResponse
from fastapi import FastAPI, File, UploadFile
from flask import Flask, jsonify, request

app = Flask(__name__)
api = FastAPI()


@app.route("/session/restore", methods=["POST"])
def restore_session():
    # ruleid: deserialization-taint
    state = pickle.loads(base64.b64decode(request.data))
    # ok: deserialization-taint
    data = json.loads(request.data)
    # ok: deserialization-taint
    defaults = pickle.loads(b"\x80\x04\x95\x04\x00\x00\x00\x00\x00\x00\x00}\x94.")
    return jsonify(restored=sorted(state), data=data, defaults=defaults)


@app.route("/prefs")
def prefs():
    blob = request.cookies.get("prefs", "")
    # ruleid: deserialization-taint
    obj = jsonpickle.decode(blob)
    # ruleid: deserialization-taint
    legacy = dill.loads(base64.b64decode(request.args["legacy"]))
    return jsonify(prefs=str(obj), legacy=str(legacy))


@app.route("/config", methods=["POST"])
def upload_config():
    text = request.get_data(as_text=True)
    # ruleid: deserialization-taint
    config = yaml.load(text, Loader=yaml.Loader)
    # ruleid: deserialization-taint
    config2 = yaml.unsafe_load(text)
    # ok: deserialization-taint
    config3 = yaml.load(text, Loader=yaml.SafeLoader)
    # ok: deserialization-taint
    config4 = yaml.safe_load(text)
    return jsonify(a=config, b=config2, c=config3, d=config4)


@app.route("/code", methods=["POST"])
def upload_code():
    # ruleid: deserialization-taint
    code = marshal.loads(request.files["pyc"].read())
    # semgrep 1.182 loses taint through slices (x[16:]): a known false negative.
    # todoruleid: deserialization-taint
    header = marshal.loads(request.files["pyc"].read()[16:])
    # ruleid: deserialization-taint
    db = shelve.open(request.form["store"])
    return jsonify(name=code.co_name, header=header, keys=list(db.keys()))


@api.post("/frames")
async def upload_frame(snapshot: UploadFile = File(...)):
    # ruleid: deserialization-taint
    frame = pd.read_pickle(snapshot.file)
    return {"rows": len(frame)}


@api.post("/items/{item_id}")
def cache_item(item_id: int):
    with open(f"/var/cache/items/{item_id}.pkl", "rb") as fh:
        # ok: deserialization-taint
        return pickle.load(fh)


def django_import(request):
    # ruleid: deserialization-taint
    data = pickle.load(request.FILES["snapshot"])
    return JsonResponse({"rows": len(data)})


def load_fixture(path):
    with open(path, "rb") as fh:
        # ok: deserialization-taint
        return pickle.load(fh)
