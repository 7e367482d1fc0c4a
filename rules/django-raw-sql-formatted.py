from django.db.models.expressions import RawSQL

from shop.models import Product


def search(request):
    term = request.GET.get("q", "")
    # ruleid: django-raw-sql-formatted
    rows = Product.objects.raw(f"SELECT * FROM shop_product WHERE name LIKE '%{term}%'")
    # ok: django-raw-sql-formatted
    safe = Product.objects.raw("SELECT * FROM shop_product WHERE name LIKE %s", [f"%{term}%"])
    return rows, safe


def filtered(request):
    owner = request.GET["owner"]
    # ruleid: django-raw-sql-formatted
    qs = Product.objects.extra(where=["owner_id = '%s'" % owner])
    # ok: django-raw-sql-formatted
    qs2 = Product.objects.extra(where=["owner_id = %s"], params=[owner])
    return qs, qs2


def annotated(request):
    col = request.GET["col"]
    sql = "SELECT max(" + col + ") FROM shop_price"
    # ruleid: django-raw-sql-formatted
    ann = Product.objects.annotate(top=RawSQL(sql, []))
    # ok: django-raw-sql-formatted
    ann2 = Product.objects.annotate(top=RawSQL("SELECT max(price) FROM shop_price WHERE sku = %s", [col]))
    return ann, ann2
