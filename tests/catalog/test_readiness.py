"""The readiness checks, on what VTEX says of a SKU: each reason the marketplace would refuse its product."""
import copy

import pytest

from saas.catalog import readiness
from saas.connectors.base import Requirements
from saas.connectors.mirakl.mapping import CERTIFIED_CATEGORIES
from saas.sandbox.catalog import generate

REQUIRES = Requirements(max_title=60, max_images=3, certificates=CERTIFIED_CATEGORIES)
PHONE = generate(10)[0]  # a phone of the simulator's catalog: EAN-13, brand, category, two images, ANATEL code


def codes(context, specs=None):
    return [p.code for p in readiness.problems(context, REQUIRES, "Carrefour", specs)]


def changed(**fields):
    context = copy.deepcopy(PHONE)
    for name, value in fields.items():
        context[name] = value
    return context


def test_a_complete_sku_is_ready():
    assert codes(PHONE) == []


@pytest.mark.parametrize("code", ["96385074", "036000291452", "4006381333931", "10012345678902"])
def test_gtin_8_12_13_and_14_with_their_check_digit_are_valid(code):
    assert codes(changed(AlternateIds={"Ean": code})) == []


@pytest.mark.parametrize("code, reason", [("", "ean_missing"), ("4006381333932", "ean_invalid"),
                                          ("400638133393", "ean_invalid"), ("40063813339A1", "ean_invalid"),
                                          ("123", "ean_invalid")])
def test_a_missing_or_wrong_ean_is_a_reason(code, reason):
    assert codes(changed(AlternateIds={"Ean": code})) == [reason]


def test_the_invalid_ean_is_named_in_the_message():
    problem, = readiness.problems(changed(AlternateIds={"Ean": "4006381333932"}), REQUIRES, "Carrefour")
    assert problem.message.params["ean"] == "4006381333932"


def test_title_images_dimensions_brand_and_category_are_each_a_reason():
    assert codes(changed(NameComplete="", ProductName="")) == ["title_missing"]
    assert codes(changed(NameComplete="x" * 61)) == ["title_long"]
    assert codes(changed(Images=[], ImageUrl="")) == ["images_missing"]
    assert codes(changed(Images=[{"ImageUrl": f"https://i.example/{n}.jpg"} for n in range(4)])) == ["images_many"]
    assert codes(changed(Dimension={"weight": 300, "height": 10, "width": 0, "length": 10})) == ["dimensions_missing"]
    assert codes(changed(Dimension={"weight": 300, "height": "", "width": 5, "length": 10})) == ["dimensions_missing"]
    assert codes(changed(Dimension={"weight": 3_000_000, "height": 10, "width": 5, "length": 10})) == \
        ["dimensions_implausible"]
    assert codes(changed(Dimension={"weight": 300, "height": 10, "width": 5, "length": 900})) == \
        ["dimensions_implausible"]
    assert codes(changed(BrandName=" ")) == ["brand"]
    assert codes(changed(ProductCategoryIds="/")) == ["category"]


def test_every_reason_is_reported_at_once():
    broken = changed(AlternateIds={"Ean": ""}, Images=[], ImageUrl="", BrandName="")
    assert codes(broken) == ["ean_missing", "images_missing", "brand"]


def test_a_category_that_needs_a_certificate_asks_for_its_specification():
    without = changed(ProductSpecifications=[], SkuSpecifications=[])
    problem, = readiness.problems(without, REQUIRES, "Carrefour")
    assert problem.code == "certificate_anatel" and problem.message.params == {
        "category": "Celulares", "certificate": "ANATEL", "spec": "Certificado ANATEL"}
    # The merchant's own specification, mapped in the settings, is the one looked for.
    own = changed(SkuSpecifications=[{"FieldName": "Homologação", "FieldValues": ["12345-67-890"]}])
    assert codes(own, {"ANATEL": "Homologação"}) == []
    assert codes(own) == ["certificate_anatel"]
    # A category no regulator covers needs none.
    shirt = changed(ProductSpecifications=[], SkuSpecifications=[], ProductCategories={"10": "Camisetas"})
    assert codes(shirt) == []


def test_without_requirements_nothing_is_asked_of_a_certificate():
    bare = Requirements()
    assert readiness.problems(changed(ProductSpecifications=[], SkuSpecifications=[]), bare, "X") == []
