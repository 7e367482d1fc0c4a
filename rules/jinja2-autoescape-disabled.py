import jinja2
from jinja2 import Environment, FileSystemLoader, select_autoescape

# ruleid: jinja2-autoescape-disabled
env = Environment(loader=FileSystemLoader("templates"))
# ruleid: jinja2-autoescape-disabled
plain = jinja2.Environment(loader=jinja2.PackageLoader("shop"), autoescape=False)
# ok: jinja2-autoescape-disabled
safe = Environment(loader=FileSystemLoader("templates"), autoescape=select_autoescape(["html", "xml"]))
# ok: jinja2-autoescape-disabled
strict = jinja2.Environment(autoescape=True)


def setup_aiohttp(app):
    import aiohttp_jinja2

    # ruleid: jinja2-autoescape-disabled
    aiohttp_jinja2.setup(app, loader=FileSystemLoader("templates"), autoescape=False)
    # ok: jinja2-autoescape-disabled
    aiohttp_jinja2.setup(app, loader=FileSystemLoader("templates"))


def setup_flask(flask_app):
    # ruleid: jinja2-autoescape-disabled
    flask_app.jinja_env.autoescape = False
    # ok: jinja2-autoescape-disabled
    flask_app.jinja_env.trim_blocks = True
