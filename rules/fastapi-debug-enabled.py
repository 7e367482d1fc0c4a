import os

from fastapi import FastAPI
from starlette.applications import Starlette

# ruleid: fastapi-debug-enabled
app = FastAPI(title="orders", debug=True)
# ok: fastapi-debug-enabled
prod_app = FastAPI(title="orders", debug=os.environ.get("APP_DEBUG") == "1")
# ruleid: fastapi-debug-enabled
prod_app.debug = True

# ok: fastapi-debug-enabled
admin = Starlette(routes=[])
# ruleid: fastapi-debug-enabled
legacy = Starlette(debug=True, routes=[])
