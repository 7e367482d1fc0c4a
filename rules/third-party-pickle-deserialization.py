import json

import dill
import jsonpickle
import torch
from flask import request


def import_object():
    payload = request.get_data(as_text=True)
    # ruleid: third-party-pickle-deserialization
    obj = jsonpickle.decode(payload)
    # ok: third-party-pickle-deserialization
    data = json.loads(payload)
    return obj, data


def restore(blob: bytes):
    # ruleid: third-party-pickle-deserialization
    return dill.loads(blob)


def load_weights(path: str):
    # ruleid: third-party-pickle-deserialization
    full = torch.load(path)
    # ok: third-party-pickle-deserialization
    weights = torch.load(path, weights_only=True)
    return full, weights
