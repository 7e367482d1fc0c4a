from fastapi import FastAPI, Request
from flask import Flask, request

from .models import User
from .schemas import UserCreate

app = Flask(__name__)
api = FastAPI()


@app.route("/users", methods=["POST"])
def create_user():
    # ruleid: mass-assignment-request-kwargs
    user = User(**request.get_json())
    data = request.get_json()
    # ok: mass-assignment-request-kwargs
    user2 = User(name=data["name"], email=data["email"])
    return {"id": user.id, "id2": user2.id}


@api.post("/users")
def create_api_user(payload: UserCreate):
    # ruleid: mass-assignment-request-kwargs
    user = User(**payload.dict())
    # ok: mass-assignment-request-kwargs
    user2 = User(name=payload.name, email=payload.email)
    return user, user2


@api.post("/raw-users")
async def create_raw_user(req: Request):
    # ruleid: mass-assignment-request-kwargs
    return User(**(await req.json()))


def build_options(defaults: dict):
    # ok: mass-assignment-request-kwargs
    return dict(**defaults)
