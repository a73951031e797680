# Modelled on next-style/blog/[...slug].py: GET /blog/:slug* (any depth)
from _shared import blog_payload


def handler(event):
    return blog_payload("GET /blog/:slug*", event.get("params"))
