from fastapi import HTTPException


def delete_account(current_user, account):
    # ruleid: assert-used-for-authorization
    assert current_user.is_admin, "admins only"
    account.delete()


def edit_post(user, post):
    # ruleid: assert-used-for-authorization
    assert post.owner_id == user.id
    post.save()


def edit_post_safe(user, post):
    if post.owner_id != user.id:
        raise HTTPException(status_code=403)
    post.save()


def parse_page(page: int):
    # ok: assert-used-for-authorization
    assert page >= 1, "page must be positive"
    # ok: assert-used-for-authorization
    assert isinstance(page, int)
    return page


def require_role(user):
    # ruleid: assert-used-for-authorization
    assert "admin" in user.roles
    return user


def bind(owner, payload):
    # ok: assert-used-for-authorization
    assert owner.deserializer is not None, "deserializer must be configured"
    return owner.deserializer(payload)
