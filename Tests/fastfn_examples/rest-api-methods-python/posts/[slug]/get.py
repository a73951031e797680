# Modelled on rest-api-methods/posts/[slug]/get.py: GET /posts/:slug
def handler(event, slug):
    return {"status": 200, "body": {"slug": slug, "title": f"Post: {slug}", "content": "Lorem ipsum..."}}
