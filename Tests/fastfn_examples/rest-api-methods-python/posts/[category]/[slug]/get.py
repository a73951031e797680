# Modelled on rest-api-methods/posts/[category]/[slug]/get.py: GET /posts/:category/:slug
def handler(event, category, slug):
    return {"status": 200, "body": {"category": category, "slug": slug, "title": f"{category}/{slug}",
                                    "url": f"/posts/{category}/{slug}"}}
