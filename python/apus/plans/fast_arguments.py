"""The fast lane of an injected plan: every step's parameters read from the request's raw parts
(the path parameters the route table matched, the query string, the headers) and converted
without pydantic (``fast_params``), before any step runs.

The conversions are pure, so reading them all first changes nothing a step can observe; and they
only ever accept what pydantic accepts with the same value. When any of them declines (a missing
required value, text pydantic must judge, a value out of bounds), the request takes the full
path, where FastAPI's own field validation gives the values or the exact 422. A tree whose steps
take cookies or a body has no fast lane; one whose steps take the ``Request`` has one
(``needs_request``), with the request made for them."""
from starlette.convertors import PathConvertor, StringConvertor

from . import fast_params

_TEXT_CONVERTORS = (StringConvertor, PathConvertor)
_PATH, _QUERY, _HEADERS = range(3)


class FastArguments:
    """Per step of a tree (by its index), the groups to read: (source, ``FastField``s)."""

    __slots__ = ("groups", "needs_request")

    def __init__(self, groups, needs_request):
        self.groups = groups
        self.needs_request = needs_request

    @classmethod
    def compile(cls, tree, convertors):
        """The fast lane of ``tree`` (the route's path convertors by name), or None."""
        groups = []
        needs_request = False
        for step in tree.steps:
            if step.cookie_params or step.body_params:
                return None
            needs_request = needs_request or bool(step.request_name or step.http_connection_name)
            reads = []
            for source, fields in ((_PATH, step.path_params), (_QUERY, step.query_params),
                                   (_HEADERS, step.header_params)):
                if not fields:
                    continue
                if source == _PATH and not all(type(convertors.get(f.alias)) in _TEXT_CONVERTORS for f in fields):
                    return None  # Starlette converts the text first: its convertor decides
                group = fast_params.compile_group(fields, lower_alias=source == _HEADERS)
                if group is None:
                    return None
                reads.append((source, group))
            groups.append(reads)
        return cls(groups, needs_request)

    def extract(self, request_parts):
        """Each step's parameter values (by index; None for a step that has none), or None when
        pydantic must decide."""
        sources = [None, None, None]
        found = []
        for reads in self.groups:
            if not reads:
                found.append(None)
                continue
            values = {}
            for source, group in reads:
                lookup = sources[source]
                if lookup is None:
                    lookup = sources[source] = _lookup(source, request_parts)
                if not fast_params.extract(group, lookup, values):
                    return None
            found.append(values)
        return found


def _lookup(source, request_parts):
    if source == _PATH:
        return request_parts.path_params.get
    if source == _QUERY:
        return fast_params.query_values(request_parts.query_string).get
    headers = {}
    for name, value in request_parts.headers:
        headers.setdefault(name.decode("latin-1"), value.decode("latin-1"))  # the first, as Starlette
    return headers.get
