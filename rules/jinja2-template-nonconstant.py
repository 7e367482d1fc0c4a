from jinja2 import Environment, Template, select_autoescape
from jinja2.sandbox import SandboxedEnvironment


def render_greeting(user_template: str, name: str) -> str:
    # ruleid: jinja2-template-nonconstant
    return Template(user_template).render(name=name)


def render_fixed(name: str) -> str:
    # ok: jinja2-template-nonconstant
    return Template("Hello {{ name }}").render(name=name)


def render_email(subject: str, body: str) -> str:
    env = Environment(autoescape=select_autoescape())
    # ruleid: jinja2-template-nonconstant
    tmpl = env.from_string("<h1>" + subject + "</h1>{{ body }}")
    # ok: jinja2-template-nonconstant
    fixed = env.from_string("<h1>{{ subject }}</h1>{{ body }}")
    return tmpl.render(body=body) + fixed.render(subject=subject, body=body)


def render_user_owned(user_template: str) -> str:
    sandbox = SandboxedEnvironment()
    # ok: jinja2-template-nonconstant
    return sandbox.from_string(user_template).render()
