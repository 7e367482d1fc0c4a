import os
import tempfile


def write_export(data: bytes) -> str:
    # ruleid: tempfile-mktemp
    path = tempfile.mktemp(suffix=".csv")
    with open(path, "wb") as fh:
        fh.write(data)
    return path


def write_export_safe(data: bytes) -> str:
    # ok: tempfile-mktemp
    fd, path = tempfile.mkstemp(suffix=".csv")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return path


def scratch_name(directory: str) -> str:
    # ruleid: tempfile-mktemp
    return tempfile.mktemp(dir=directory)


def scratch_file():
    # ok: tempfile-mktemp
    return tempfile.NamedTemporaryFile(delete=False)
