"""GET /blog/{slug:path}: a catch-all; the parameter also arrives as a keyword argument."""


def handler(event, slug):
    return {"slug": slug, "runtime": "python"}
