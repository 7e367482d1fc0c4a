from django.utils.html import format_html
from django.utils.safestring import mark_safe


def user_badge(user):
    # ruleid: django-mark-safe-nonconstant
    return mark_safe(f"<span class='badge'>{user.display_name}</span>")


def user_badge_safe(user):
    # ok: django-mark-safe-nonconstant
    return mark_safe(format_html("<span class='badge'>{}</span>", user.display_name))


def bio_html(profile):
    html = "<p>" + profile.bio + "</p>"
    # ruleid: django-mark-safe-nonconstant
    return mark_safe(html)


def separator():
    # ok: django-mark-safe-nonconstant
    return mark_safe("<hr class='sep'>")
