from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.applications import Starlette
from starlette.middleware import Middleware

app = FastAPI()
# ruleid: fastapi-cors-wildcard-credentials
app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=True, allow_methods=["*"])
# ok: fastapi-cors-wildcard-credentials
app.add_middleware(CORSMiddleware, allow_origins=["https://app.example.com"], allow_credentials=True)
# ok: fastapi-cors-wildcard-credentials
app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET"])

middleware = [
    # ruleid: fastapi-cors-wildcard-credentials
    Middleware(CORSMiddleware, allow_credentials=True, allow_origin_regex=".*"),
]
other = Starlette(middleware=middleware)
