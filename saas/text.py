import re
import unicodedata


def plain(text: str | None) -> str:
    """Lower case, no accents, no surrounding blanks: "Econômica " and "ECONOMICA" compare equal."""
    return unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().strip().lower()


SEARCH_TEXT_LENGTH = 600
_NUMBER = re.compile(r"[\d.\-/]+")


def search_text(*parts: str | None) -> str:
    """What a search looks in, once per row: its words folded as ``plain`` folds them (a search for "camiseta
    preta" finds "Camiseta PRETA", "cafe" finds "Café"), numbers also without their dots and dashes (a CPF typed
    as 625.035.967-97 finds 62503596797)."""
    words = plain(" ".join(p for p in parts if p)).split()
    return " ".join(words + [re.sub(r"\D", "", w) for w in words if _NUMBER.fullmatch(w) and not w.isdigit()]
                    )[:SEARCH_TEXT_LENGTH]


def search_words(query: str) -> list[str]:
    """The words of what a person typed, folded as ``search_text`` folds: each must appear, in any order."""
    words = [re.sub(r"\D", "", w) if _NUMBER.fullmatch(w) and any(c.isdigit() for c in w) else w
             for w in plain(query).split()]
    return [w for w in words if w and not _NUMBER.fullmatch(w) or w.isdigit()][:8]


def like_pattern(word: str) -> str:
    """``%word%`` for LIKE, the word's own wildcards escaped (with ``escape="\\\\"``)."""
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def document(digits: str | None) -> str:
    """A CPF or CNPJ as Brazilians write it (123.456.789-09, 12.345.678/0001-95); anything else as it came."""
    from stdnum.br import cnpj, cpf
    value = digits or ""
    if len(value) == 11 and value.isdigit():
        return cpf.format(value)
    if len(value) == 14 and value.isdigit():
        return cnpj.format(value)
    return value


def cep(digits: str | None) -> str:
    """A CEP as 01310-100."""
    value = digits or ""
    return f"{value[:5]}-{value[5:]}" if len(value) == 8 and value.isdigit() else value


def phone(text: str | None) -> str:
    """A Brazilian phone as (11) 98765-4321 or (11) 3456-7890, the country code aside; anything else as it came."""
    digits = re.sub(r"\D", "", text or "")
    if len(digits) in (12, 13) and digits.startswith("55"):
        digits = digits[2:]
    if len(digits) not in (10, 11):
        return text or ""
    return f"({digits[:2]}) {digits[2:-4]}-{digits[-4:]}"
