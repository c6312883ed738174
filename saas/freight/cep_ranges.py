"""Brazil's CEP ranges by state, the capital apart where its range is its own, each with a representative CEP (a
central address of the capital, a large city of the interior): what the contingency table quotes.

From the Correios' ranges by state (public); a range a state has in two pieces is two rows.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class CepRange:
    state: str
    area: str       # "capital" or "interior"
    first: str      # 8 digits
    last: str
    sample: str     # the CEP quoted for the whole range


def _r(state, area, first, last, sample):
    return CepRange(state, area, f"{first:05d}000", f"{last:05d}999", sample)


RANGES = (
    _r("SP", "capital", 1000, 5999, "01310100"), _r("SP", "interior", 6000, 19999, "13015904"),
    _r("RJ", "capital", 20000, 23799, "20040002"), _r("RJ", "interior", 23800, 28999, "24020005"),
    _r("ES", "capital", 29000, 29099, "29010002"), _r("ES", "interior", 29100, 29999, "29300100"),
    _r("MG", "capital", 30000, 31999, "30130010"), _r("MG", "interior", 32000, 39999, "38400100"),
    _r("BA", "capital", 40000, 42599, "40020000"), _r("BA", "interior", 42600, 48999, "44001000"),
    _r("SE", "capital", 49000, 49098, "49010000"), _r("SE", "interior", 49099, 49999, "49500000"),
    _r("PE", "capital", 50000, 52999, "50010000"), _r("PE", "interior", 53000, 56999, "55002000"),
    _r("AL", "capital", 57000, 57099, "57020000"), _r("AL", "interior", 57100, 57999, "57300000"),
    _r("PB", "capital", 58000, 58099, "58010000"), _r("PB", "interior", 58100, 58999, "58400000"),
    _r("RN", "capital", 59000, 59099, "59010000"), _r("RN", "interior", 59100, 59999, "59600000"),
    _r("CE", "capital", 60000, 61599, "60060000"), _r("CE", "interior", 61600, 63999, "63010000"),
    _r("PI", "capital", 64000, 64099, "64000000"), _r("PI", "interior", 64100, 64999, "64200000"),
    _r("MA", "capital", 65000, 65099, "65010000"), _r("MA", "interior", 65100, 65999, "65900000"),
    _r("PA", "capital", 66000, 66999, "66010000"), _r("PA", "interior", 67000, 68899, "68500000"),
    _r("AP", "capital", 68900, 68914, "68900000"), _r("AP", "interior", 68915, 68999, "68925000"),
    _r("AM", "capital", 69000, 69099, "69005000"), _r("AM", "interior", 69100, 69299, "69151000"),
    _r("RR", "capital", 69300, 69339, "69301000"), _r("RR", "interior", 69340, 69399, "69380000"),
    _r("AM", "interior", 69400, 69899, "69460000"),
    _r("AC", "capital", 69900, 69920, "69900000"), _r("AC", "interior", 69921, 69999, "69980000"),
    _r("DF", "capital", 70000, 72799, "70040000"), _r("DF", "capital", 73000, 73699, "73010000"),
    _r("GO", "interior", 72800, 72999, "72800000"), _r("GO", "capital", 74000, 74899, "74003010"),
    _r("GO", "interior", 73700, 73999, "73700000"), _r("GO", "interior", 74900, 76799, "75020000"),
    _r("RO", "capital", 76800, 76834, "76801000"), _r("RO", "interior", 76835, 76999, "76900000"),
    _r("TO", "capital", 77000, 77299, "77001000"), _r("TO", "interior", 77300, 77999, "77800000"),
    _r("MT", "capital", 78000, 78109, "78005000"), _r("MT", "interior", 78110, 78899, "78700000"),
    _r("MS", "capital", 79000, 79129, "79002000"), _r("MS", "interior", 79130, 79999, "79800000"),
    _r("PR", "capital", 80000, 82999, "80010000"), _r("PR", "interior", 83000, 87999, "86010000"),
    _r("SC", "capital", 88000, 88099, "88010000"), _r("SC", "interior", 88100, 89999, "89010000"),
    _r("RS", "capital", 90000, 91999, "90010000"), _r("RS", "interior", 92000, 99999, "95010000"),
)
