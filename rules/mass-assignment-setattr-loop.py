from fastapi import FastAPI, Request
from flask import Flask, request

from .models import User
from .schemas import UserUpdate

app = Flask(__name__)
api = FastAPI()
EDITABLE = {"name", "email", "bio"}


@app.route("/users/<int:uid>", methods=["PATCH"])
def update_user(uid):
    user = User.query.get_or_404(uid)
    for key, value in request.get_json().items():
        # ruleid: mass-assignment-setattr-loop
        setattr(user, key, value)
    return {"ok": True}


@app.route("/profile/<int:uid>", methods=["PATCH"])
def update_profile(uid):
    user = User.query.get_or_404(uid)
    data = request.json
    for key, value in data.items():
        if key in EDITABLE:
            # ok: mass-assignment-setattr-loop
            setattr(user, key, value)
    for field, value in data.items():
        if field not in EDITABLE:
            continue
        # ok: mass-assignment-setattr-loop
        setattr(user, field, value)
    return {"ok": True}


@api.patch("/users/{uid}")
def patch_user(uid: int, payload: UserUpdate):
    user = load_user(uid)
    updates = payload.dict(exclude_unset=True)
    for name, value in updates.items():
        # ruleid: mass-assignment-setattr-loop
        setattr(user, name, value)
    return user


def apply_defaults(obj, defaults: dict):
    for key, value in defaults.items():
        # ok: mass-assignment-setattr-loop
        setattr(obj, key, value)


@api.put("/items/{item_id}")
async def replace_item(item_id: int, req: Request):
    item = load_item(item_id)
    body = await req.json()
    for attr, value in body.items():
        # ruleid: mass-assignment-setattr-loop
        setattr(item, attr, value)
    return item
