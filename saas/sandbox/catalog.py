"""The VTEX simulator's seeded catalog: a few hundred SKUs of a Brazilian store, the same on every run.

Products have variants of Cor / Tamanho / Voltagem, brands, categories, valid EAN-13s, images and dimensions; phones
carry an ANATEL code and appliances an INMETRO one. A handful of SKUs are deliberately broken (no EAN, no price), so
the error paths of the integration have something to show.
"""
import random

FAMILIES = [
    # (category path, category name, brand choices, product names, variant axes, certificate)
    ("/1/10/", "Celulares", ["Motorola", "Samsung", "Xiaomi"], ["Smartphone {b} Moto G{n}", "Smartphone {b} A{n}"],
     {"Cor": ["Preto", "Azul", "Verde"]}, "ANATEL"),
    ("/2/20/", "Eletroportáteis", ["Mondial", "Britânia", "Philco"], ["Liquidificador {b} Turbo {n}",
                                                                       "Air Fryer {b} {n}L", "Ventilador {b} {n}cm"],
     {"Voltagem": ["110V", "220V"]}, "INMETRO"),
    ("/3/30/", "Camisetas", ["Hering", "Malwee", "Reserva"], ["Camiseta Básica {b} Algodão nº{n}",
                                                              "Camiseta Polo {b} Piquet {n}"],
     {"Cor": ["Branca", "Preta", "Azul-marinho"], "Tamanho": ["P", "M", "G", "GG"]}, None),
    ("/4/40/", "Calçados", ["Olympikus", "Havaianas", "Melissa"], ["Tênis {b} Corrida {n}", "Sandália {b} Flor {n}"],
     {"Tamanho": ["36", "38", "40", "42"]}, None),
    ("/5/50/", "Cosméticos", ["Natura", "O Boticário", "Granado"], ["Hidratante {b} Castanha {n}ml",
                                                                   "Sabonete {b} Glicerina {n}g"], {}, "ANVISA"),
]
CARRIERS = [
    {"id": "normal", "name": "Normal", "shippingMethod": "Normal"},
    {"id": "expressa", "name": "Expressa", "shippingMethod": "Expressa"},
    {"id": "economica", "name": "Econômica", "shippingMethod": "Econômica"},
    {"id": "agendada", "name": "Agendada", "shippingMethod": "Agendada"},
]


SPEC_FIELD_IDS = {"Cor": 10, "Tamanho": 11, "Voltagem": 12}


def _spec(name: str, value: str) -> dict:
    field_id = SPEC_FIELD_IDS.get(name, 20 + sum(map(ord, name)) % 50)
    return {"FieldId": field_id, "FieldName": name, "FieldValueIds": [field_id * 1000 + sum(map(ord, value)) % 997],
            "FieldValues": [value]}


def _fixed_fields(sku_id: int, weight: int) -> dict:
    """The SKU-and-context fields every SKU of this store has in common (no kits, no services, unit sale)."""
    return {"IsTransported": True, "IsInventoried": True, "IsGiftCardRecharge": False, "IsKit": False,
            "KitItems": [], "Services": [], "Categories": [], "Attachments": [], "Collections": [],
            "DetailUrl": f"/produto-{sku_id}/p", "CSCIdentification": "", "ManufacturerCode": f"MFR-{sku_id}",
            "RealDimension": {"realCubicWeight": 0.5, "realHeight": 10, "realLength": 10, "realWeight": weight,
                              "realWidth": 10},
            "SkuSellers": [{"SellerId": "1", "StockKeepingUnitId": sku_id, "SellerStockKeepingUnitId": str(sku_id),
                            "IsActive": True, "FreightCommissionPercentage": 0, "ProductCommissionPercentage": 0}],
            "ProductClustersIds": "", "ProductGlobalCategoryId": 0, "CommercialConditionId": 1, "RewardValue": 0,
            "AlternateIdValues": [], "EstimatedDateArrival": "", "MeasurementUnit": "un", "UnitMultiplier": 1.0,
            "InformationSource": "Indexer", "ModalType": ""}


def ean13(number: int) -> str:
    digits = f"789{number:09d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return digits + str((10 - total % 10) % 10)


def _variants(axes: dict) -> list[dict]:
    combos = [{}]
    for axis, values in axes.items():
        combos = [{**combo, axis: value} for combo in combos for value in values]
    return combos


def generate(target: int = 300) -> list[dict]:
    """SKU documents (the fields of VTEX's SKU-and-context, plus price and stock) until ``target`` SKUs exist."""
    rng = random.Random(42)
    skus, product_id, sku_id = [], 100, 1000
    while len(skus) < target:
        path, category, brands, names, axes, certificate = FAMILIES[product_id % len(FAMILIES)]
        brand = rng.choice(brands)
        product_id += 1
        product_name = rng.choice(names).format(b=brand, n=rng.randint(2, 60))
        base_price = rng.randint(2990, 199990)
        weight = rng.randint(150, 6000)
        for variant in _variants(axes):
            sku_id += 1
            label = " ".join(variant.values())
            specs = [_spec(axis, value) for axis, value in variant.items()]
            if certificate:
                specs.append(_spec(f"Certificado {certificate}", f"{certificate}-{product_id:06d}"))
            skus.append({
                "Id": sku_id, "ProductId": product_id, "ProductName": product_name,
                "SkuName": label or product_name, "NameComplete": f"{product_name} {label}".strip(),
                "ProductDescription": f"<p>{product_name}: qualidade {brand}, com garantia de 12 meses.</p>",
                "BrandId": str(2000 + brands.index(brand)), "BrandName": brand,
                "ProductCategoryIds": path, "ProductCategories": {path.strip("/").split("/")[-1]: category},
                "AlternateIds": {"Ean": ean13(sku_id), "RefId": f"REF-{sku_id}"},
                "ImageUrl": f"https://images.sandbox.example/{sku_id}-1.jpg",
                "Images": [{"ImageUrl": f"https://images.sandbox.example/{sku_id}-{n}.jpg", "ImageName": f"{n}",
                            "FileId": sku_id * 10 + n} for n in (1, 2)],
                "Dimension": {"weight": weight, "height": rng.randint(5, 60), "width": rng.randint(5, 60),
                              "length": rng.randint(5, 60), "cubicweight": 0.5},
                "SkuSpecifications": specs, "ProductSpecifications": [],
                "IsActive": True, "IsProductActive": True, "SalesChannels": [1, 2],
                **_fixed_fields(sku_id, weight),
                "price": base_price, "stock": rng.choice([0, 3, 8, 15, 40, 120]),
            })
    skus = skus[:target]
    # Deliberately broken SKUs: the product needs an EAN, the offer a price.
    for broken in skus[-3:]:
        broken["AlternateIds"]["Ean"] = ""
    skus[-4]["price"] = 0
    return skus
