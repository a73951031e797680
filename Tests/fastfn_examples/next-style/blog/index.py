# Modelled on next-style/blog/index.py: GET /blog
from _shared import blog_payload


def handler(event):
    return blog_payload("GET /blog", event.get("params"), intro="Blog root, built by a private helper.")
