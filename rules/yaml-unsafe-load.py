import yaml
from yaml import SafeLoader


def load_config(text: str):
    # ruleid: yaml-unsafe-load
    cfg = yaml.load(text, Loader=yaml.Loader)
    # ok: yaml-unsafe-load
    safe = yaml.safe_load(text)
    return cfg, safe


def load_docs(stream):
    # ruleid: yaml-unsafe-load
    docs = list(yaml.unsafe_load_all(stream))
    # ok: yaml-unsafe-load
    docs2 = list(yaml.load_all(stream, Loader=SafeLoader))
    return docs, docs2


def legacy(text: str):
    # ruleid: yaml-unsafe-load
    return yaml.load(text)


class StrictLoader(yaml.SafeLoader):
    pass


def load_strict(text: str):
    # ok: yaml-unsafe-load
    a = yaml.load(text, StrictLoader)
    # ok: yaml-unsafe-load
    b = yaml.load(text, Loader=yaml.CSafeLoader)
    # ruleid: yaml-unsafe-load
    c = yaml.load(text, yaml.FullLoader)
    return a, b, c
