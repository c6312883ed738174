"""The serving stack's floor for the freight benchmark: Flask views that do no work, under the same gunicorn command
as the product, answering a body the size of a freight quote."""
from flask import Flask

app = Flask(__name__)
_ANSWER = {"postalCode": "01310100", "options": [{"shippingType": "Normal", "carrier": "Normal", "price": 12.9,
                                                  "currency": "BRL", "deliveryDays": 5}]}


@app.get("/")
def answer():
    return _ANSWER


@app.get("/healthz")
def healthz():
    return {"ok": True}
