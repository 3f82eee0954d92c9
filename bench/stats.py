"""Small statistics helpers: medians and spreads of repeated measurements."""
import statistics


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summary(values, digits=4):
    """{median, min, max, n, values} of a list of numbers (None entries are dropped)."""
    values = [v for v in values if v is not None]
    if not values:
        return {"median": None, "min": None, "max": None, "n": 0, "values": []}
    return {"median": round(statistics.median(values), digits), "min": round(min(values), digits),
            "max": round(max(values), digits), "n": len(values),
            "values": [round(v, digits) for v in values]}


def ratio(numerator, denominator, digits=2):
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, digits)
