import unicodedata


def plain(text: str | None) -> str:
    """Lower case, no accents, no surrounding blanks: "Econômica " and "ECONOMICA" compare equal."""
    return unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().strip().lower()
