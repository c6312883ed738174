"""Act as the merchant (VTEX) or as Carrefour on the running simulators, from the shell:

    .venv/bin/python -m saas.sandbox.cli vtex price 1001 49.90
    .venv/bin/python -m saas.sandbox.cli vtex invoice CRF-CRF000002-A --courier Correios --tracking BR123
    .venv/bin/python -m saas.sandbox.cli carrefour order 1001,1002 --paid --cep 01310100
    .venv/bin/python -m saas.sandbox.cli knobs vtex --latency-ms 200 --error-rate 0.1

The addresses default to `make run`'s (SANDBOX_VTEX_URL, SANDBOX_MIRAKL_URL override them).
"""
import json

import click
import requests

from saas.sandbox.demo import sandbox_urls


def _post(url: str, body: dict | None = None) -> None:
    response = requests.post(url, json=body or {}, timeout=30)
    if response.status_code >= 400:
        raise click.ClickException(f"{response.status_code}: {response.text.strip()}")
    click.echo(json.dumps(response.json(), ensure_ascii=False, indent=2))


@click.group()
def cli():
    """The sandbox's two sides."""


@cli.group()
def vtex():
    """The merchant's VTEX: prices, stock, and what happens to orders."""


@vtex.command()
@click.argument("sku", type=int)
@click.argument("reais", type=float)
def price(sku, reais):
    """Change a SKU's price (VTEX notifies the affiliates)."""
    _post(f"{sandbox_urls()[0]}/_admin/skus/{sku}", {"price": round(reais * 100)})


@vtex.command()
@click.argument("sku", type=int)
@click.argument("quantity", type=int)
def stock(sku, quantity):
    """Change a SKU's stock."""
    _post(f"{sandbox_urls()[0]}/_admin/skus/{sku}", {"stock": quantity})


@vtex.command()
@click.argument("sku", type=int)
@click.option("--on/--off", default=False, help="Activate or deactivate the SKU.")
def active(sku, on):
    """Deactivate (or reactivate) a SKU: Carrefour's offer is withdrawn."""
    _post(f"{sandbox_urls()[0]}/_admin/skus/{sku}", {"active": on})


@vtex.command()
@click.argument("order_id")
@click.option("--courier", default="Correios")
@click.option("--tracking", "tracking_number", default="")
def invoice(order_id, courier, tracking_number):
    """Invoice an order (the NF-e, and the tracking when given)."""
    _post(f"{sandbox_urls()[0]}/_admin/orders/{order_id}/invoice",
          {"courier": courier, "trackingNumber": tracking_number})


@vtex.command()
@click.argument("order_id")
@click.option("--tracking", "tracking_number", default="")
def track(order_id, tracking_number):
    """Add the tracking number to an invoiced order."""
    _post(f"{sandbox_urls()[0]}/_admin/orders/{order_id}/tracking", {"trackingNumber": tracking_number})


@vtex.command()
@click.argument("order_id")
def deliver(order_id):
    """Mark an invoiced order delivered."""
    _post(f"{sandbox_urls()[0]}/_admin/orders/{order_id}/deliver")


@vtex.command("cancel")
@click.argument("order_id")
@click.option("--reason", default="Cancelado pela loja")
def vtex_cancel(order_id, reason):
    """Cancel an order at the store."""
    _post(f"{sandbox_urls()[0]}/_admin/orders/{order_id}/cancel", {"reason": reason})


@cli.group()
def carrefour():
    """Carrefour's Mirakl: orders and product approval."""


@carrefour.command()
@click.argument("skus")
@click.option("--quantity", default=1)
@click.option("--shipping-type", default="NORMAL", type=click.Choice(["NORMAL", "EXPRESSA", "ECONOMICA", "AGENDADA"]))
@click.option("--cep", default="01310100")
@click.option("--paid", is_flag=True, help="Create it paid (SHIPPING) instead of waiting for acceptance.")
@click.option("--price", type=float, help="Unit price in reais (default: the offer's).")
def order(skus, quantity, shipping_type, cep, paid, price):
    """Create an order for SKUS (comma-separated)."""
    lines = [{"sku": s.strip(), "quantity": quantity, **({"price": price} if price else {})}
             for s in skus.split(",") if s.strip()]
    _post(f"{sandbox_urls()[1]}/_admin/orders", {"lines": lines, "shipping_type": shipping_type, "zip_code": cep,
                                                  "state": "SHIPPING" if paid else "STAGING"})


@carrefour.command("cancel")
@click.argument("order_id")
def carrefour_cancel(order_id):
    """Cancel an order at Carrefour."""
    _post(f"{sandbox_urls()[1]}/_admin/orders/{order_id}/cancel")


@carrefour.command()
def approve():
    """Approve every product waiting for Carrefour's manual approval."""
    _post(f"{sandbox_urls()[1]}/_admin/products/approve")


@cli.command()
@click.argument("side", type=click.Choice(["vtex", "carrefour"]))
@click.option("--latency-ms", type=float)
@click.option("--error-rate", type=float, help="Share of 503 answers, 0 to 1.")
@click.option("--throttle-rate", type=float, help="Share of 429 answers, 0 to 1.")
@click.option("--retry-after", type=int, help="Retry-After of the 429s, seconds.")
def knobs(side, **values):
    """Show or change a simulator's fault knobs."""
    url = sandbox_urls()[0 if side == "vtex" else 1] + "/_admin/knobs"
    _post(url, {k: v for k, v in values.items() if v is not None})


if __name__ == "__main__":
    cli()
