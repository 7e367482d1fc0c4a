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
