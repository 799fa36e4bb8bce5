"""URL-walk recipes for the public query (R-Q1).

The registry is national and public: an active filing shows on every host by
design, so the entity page has no tenant-foreign object. It is walked with a
well-formed number nobody holds against a malformed one: both must answer 404
and show nothing (cancelled filings answering 404 is tested in
``test_public_query.py``).
"""

NO_OBJECT = {"query:search", "query:api"}
FOREIGN = {
    "query:entity": lambda w: ({"number": "浙ICP备2099999999号"}, {"number": "no-such-number"}),
}
