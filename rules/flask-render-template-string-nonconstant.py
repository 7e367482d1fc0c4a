from flask import Flask, render_template_string, request

app = Flask(__name__)


@app.route("/hello")
def hello():
    name = request.args.get("name", "world")
    # ruleid: flask-render-template-string-nonconstant
    page = render_template_string(f"<h1>Hello {name}!</h1>")
    # ok: flask-render-template-string-nonconstant
    safe = render_template_string("<h1>Hello {{ name }}!</h1>", name=name)
    return page + safe


@app.route("/error")
def error():
    template = "<p>Unknown page: %s</p>" % request.path
    # ruleid: flask-render-template-string-nonconstant
    return render_template_string(template), 404


BANNER = "<footer>{{ year }}</footer>"


def footer(year: int):
    # ok: flask-render-template-string-nonconstant
    return render_template_string(BANNER, year=year)
