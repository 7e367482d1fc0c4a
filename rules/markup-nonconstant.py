from markupsafe import Markup, escape


def greeting(username: str) -> Markup:
    # ruleid: markup-nonconstant
    return Markup(f"<b>Hello {username}</b>")


def greeting_safe(username: str) -> Markup:
    # ok: markup-nonconstant
    return Markup("<b>Hello {}</b>").format(username)


def comment_html(body: str) -> Markup:
    html = "<div class='comment'>" + body + "</div>"
    # ruleid: markup-nonconstant
    return Markup(html)


def escaped(body: str) -> Markup:
    # ok: markup-nonconstant
    return Markup(escape(body))


def render_cell(value: str, autoescape: bool):
    rendered = format_cell(value)
    if autoescape:
        # ok: markup-nonconstant
        rendered = Markup(rendered)
    return rendered


def plain_text(snippet: str) -> str:
    # ok: markup-nonconstant
    return Markup(snippet).striptags()


def paragraphs(lines: list[str]) -> Markup:
    # ok: markup-nonconstant
    return Markup("\n".join(f"<p>{escape(line)}</p>" for line in lines))


def link(url: str, label: str) -> Markup:
    # ruleid: markup-nonconstant
    return Markup('<a href="%s">%s</a>' % (url, escape(label)))
