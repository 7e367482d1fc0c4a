import json
import marshal
import shelve


def read_cache(upload_path: str):
    with open(upload_path, "rb") as fh:
        # ruleid: marshal-shelve-deserialization
        return marshal.load(fh)


def open_store(name: str):
    # ruleid: marshal-shelve-deserialization
    return shelve.open(f"/srv/data/{name}")


def read_json_cache(upload_path: str):
    with open(upload_path, "rb") as fh:
        # ok: marshal-shelve-deserialization
        return json.load(fh)


def roundtrip(code):
    # ok: marshal-shelve-deserialization
    return marshal.loads(marshal.dumps(code))
