"""VTEX data → Carrefour's files, as pure functions."""
import csv
import io

import pytest

from saas.connectors.base import CatalogItem
from saas.connectors.mirakl import mapping
from saas.vtex.simulation import Simulation

CONTEXT = {
    "Id": 1001, "NameComplete": 'Camiseta "Básica"; Algodão Orgânico P', "ProductName": "Camiseta Básica",
    "ProductDescription": "<p>Camiseta de <b>algodão</b>; confortável.</p>", "BrandName": "Hering",
    "ProductCategoryIds": "/3/30/", "ProductCategories": {"30": "Camisetas"},
    "AlternateIds": {"Ean": "7890000010016"}, "Images": [{"ImageUrl": "https://img/1.jpg"}],
    "Dimension": {"weight": 250.0, "height": 3, "width": 30, "length": 40.5},
    "SkuSpecifications": [{"FieldName": "Cor", "FieldValues": ["Azul-marinho"]},
                          {"FieldName": "Tamanho", "FieldValues": ["P"]}],
    "ProductSpecifications": [{"FieldName": "Homologação Anatel", "FieldValues": ["ANATEL-123"]}],
}


def read_back(spool) -> list[list[str]]:
    return list(csv.reader(io.StringIO(spool.read().decode("utf-8")), delimiter=";"))


def test_product_row_carries_every_field_and_survives_quotes_semicolons_and_accents():
    row = mapping.product_row(CatalogItem("1001", context=CONTEXT), {"ANATEL": "Homologação Anatel"})
    record = dict(zip(mapping.PRODUCT_HEADER, row, strict=True))
    assert record["title"] == 'Camiseta "Básica"; Algodão Orgânico P'
    assert record["description"] == "Camiseta de algodão ; confortável."
    assert record["ean"] == "7890000010016" and record["brand"] == "Hering"
    assert record["category"] == "30" and record["category-label"] == "Camisetas"
    assert record["image-1"] == "https://img/1.jpg" and record["image-2"] == ""
    assert (record["weight"], record["height"], record["length"]) == ("250", "3", "40.5")
    assert (record["cor"], record["tamanho"], record["voltagem"]) == ("Azul-marinho", "P", "")
    assert record["anatel"] == "ANATEL-123" and record["inmetro"] == ""
    with mapping.write_csv(mapping.PRODUCT_HEADER, [row]) as spool:
        header, line = read_back(spool)
    assert header == mapping.PRODUCT_HEADER and line == row


@pytest.mark.parametrize("change, message", [
    ({"AlternateIds": {"Ean": ""}}, "no valid EAN"),
    ({"AlternateIds": {"Ean": "78900"}}, "no valid EAN"),
    ({"NameComplete": "", "ProductName": ""}, "no name"),
    ({"Images": [], "ImageUrl": None}, "no image"),
])
def test_products_carrefour_would_refuse_are_rejected_with_the_fix(change, message):
    with pytest.raises(mapping.RowError, match=message):
        mapping.product_row(CatalogItem("1001", context={**CONTEXT, **change}))


def test_offer_row_prices_in_reais_and_zero_stock_at_or_below_the_minimum():
    item = CatalogItem("1001", price_cents=19990, quantity=5, ean="7890000010016")
    assert mapping.offer_row(item) == ["1001", "7890000010016", "EAN", "199.90", "5", "11", "update", ""]
    assert mapping.offer_row(item, min_stock=5)[4] == "0"
    assert mapping.offer_row(item, min_stock=4)[4] == "5"
    assert mapping.offer_row(CatalogItem("1", price_cents=1, quantity=None, ean="1" * 13))[3:5] == ["0.01", "0"]


def test_offer_row_sends_a_higher_list_price_as_de_and_the_price_as_por():
    item = CatalogItem("1001", price_cents=19990, quantity=5, ean="7890000010016", list_price_cents=24990)
    row = dict(zip(mapping.OFFER_HEADER, mapping.offer_row(item), strict=True))
    assert (row["price"], row["discount-price"]) == ("249.90", "199.90")
    same = CatalogItem("1001", price_cents=19990, quantity=5, ean="7890000010016", list_price_cents=19990)
    assert dict(zip(mapping.OFFER_HEADER, mapping.offer_row(same), strict=True))["discount-price"] == ""


def test_offer_row_withdraws_and_refuses_missing_price_or_ean():
    assert mapping.offer_row(CatalogItem("1", ean="7890000010016", withdraw=True))[6] == "delete"
    with pytest.raises(mapping.RowError, match="no price"):
        mapping.offer_row(CatalogItem("1", price_cents=0, quantity=3, ean="7890000010016"))
    with pytest.raises(mapping.RowError, match="no EAN"):
        mapping.offer_row(CatalogItem("1", price_cents=100, quantity=3))


@pytest.mark.parametrize("report", [
    '"sku";"product-id";"price";"error-line";"error-message"\n'
    '"1001";"789";"0";"2";"The price must be greater than 0"\n',
    "shop-sku,errors\n1001,The price must be greater than 0\n",
    "1001;The price must be greater than 0\n1002;Other\n",
])
def test_error_reports_are_read_whatever_their_layout(report):
    errors = mapping.parse_error_report(report.encode("utf-8"))
    assert errors.get("1001") == "The price must be greater than 0"


def test_an_empty_report_has_no_errors():
    assert mapping.parse_error_report(b"") == {}


def test_simulation_gives_price_and_stock_balance_not_availability():
    body = {"items": [{"id": "1", "requestIndex": 0, "price": 1000, "sellingPrice": 900, "availability": "available"},
                      {"id": "2", "requestIndex": 1, "price": 500, "availability": "available"}],
            "logisticsInfo": [{"itemIndex": 0, "stockBalance": 7},
                              {"itemIndex": 1, "deliveryChannels": [{"id": "delivery", "stockBalance": 0}]}]}
    assert Simulation(body).prices_and_stock() == {"1": (900, 7, 900), "2": (500, 0, 500)}
    body["items"][0]["listPrice"] = 1200
    assert Simulation(body).prices_and_stock()["1"] == (900, 7, 1200)


def test_an_offer_export_is_read_tolerantly():
    from saas.connectors.base import MarketplaceOffer
    from saas.connectors.mirakl.mapping import exported_offers
    rows = [{"shop-sku": "1001", "price": 15.9, "quantity": 3, "active": True},
            {"shop-sku": " 1002 ", "price": "abc", "quantity": "x", "active": False},
            {"shop-sku": "1003", "price": 1, "deleted": True}, {"price": 2}, "garbage", None]
    assert exported_offers(rows) == [MarketplaceOffer("1001", 1590, 3, True), MarketplaceOffer("1002", None, 0, False)]
    assert exported_offers({"not": "a list"}) == []


def test_a_sku_context_is_read_one_way_wherever_it_is_read():
    """The product file, the readiness checks and the price rules' cost read a specification alike: the SKU's own
    value wins over the product's, an empty one does not hide the product's, names compare without case."""
    from saas.catalog import rules
    from saas.vtex.sku_context import SkuContext
    context = {"ProductSpecifications": [{"FieldName": "Cor", "FieldValues": ["Azul"]},
                                         {"FieldName": "Certificado ANATEL", "FieldValues": ["12345"]},
                                         {"FieldName": "Custo", "FieldValues": ["10,00"]}],
               "SkuSpecifications": [{"FieldName": "cor", "FieldValues": ["Preto"]},
                                     {"FieldName": "Certificado ANATEL", "FieldValues": []},
                                     {"FieldName": "CUSTO", "FieldValues": ["R$ 12,50"]}],
               "ProductCategoryIds": "/1/12/", "ProductCategories": {"1": "Eletrônicos", "12": "Celulares"},
               "Images": [{"ImageUrl": ""}], "ImageUrl": "https://img/1.jpg", "NameComplete": " ",
               "ProductName": "Celular X "}
    sku = SkuContext(context)
    assert sku.specification_text("COR") == "Preto" and sku.specification("Certificado ANATEL") == ["12345"]
    assert (sku.category_id, sku.category_name, sku.images, sku.title) == (
        "12", "Celulares", ["https://img/1.jpg"], "Celular X")
    assert rules.cost_of(context, "custo") == 1250
