import base64
import json
import pickle

from flask import request


def restore_session():
    blob = request.cookies.get("session", "")
    # ruleid: pickle-deserialization
    state = pickle.loads(base64.b64decode(blob))
    # ok: pickle-deserialization
    state2 = json.loads(base64.b64decode(blob))
    return state, state2


def load_model(path: str):
    with open(path, "rb") as fh:
        # ruleid: pickle-deserialization
        return pickle.load(fh)


def deep_copy(obj):
    # ok: pickle-deserialization
    return pickle.loads(pickle.dumps(obj))
