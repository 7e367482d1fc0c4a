from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI

app = FastAPI()


@app.get("/health")
def health():
    # ok: fastapi-route-missing-auth-dependency
    return {"status": "ok"}


@app.get("/invoices")
# ruleid: fastapi-route-missing-auth-dependency
def list_invoices(db=Depends(get_db)):
    return db.query_all()


@app.get("/me")
# ok: fastapi-route-missing-auth-dependency
async def me(user: User = Depends(get_current_user)):
    return user


@app.delete("/invoices/{invoice_id}")
# ruleid: fastapi-route-missing-auth-dependency
async def delete_invoice(invoice_id: int):
    return {"deleted": invoice_id}


@app.post("/invoices")
# ok: fastapi-route-missing-auth-dependency
def create_invoice(body: dict, user: Annotated[User, Depends(get_current_user)]):
    return body


@app.get("/admin/stats", dependencies=[Depends(require_admin)])
# ok: fastapi-route-missing-auth-dependency
def admin_stats():
    return {}


@app.get("/reports")
# ruleid: fastapi-route-missing-auth-dependency
def reports():
    return []


def get_db():
    return None
