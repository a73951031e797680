"""Direct plans: routes simple enough for Apus to execute every step itself.

A route qualifies when its endpoint takes only path, query, header and cookie parameters and a
JSON body (no sub-dependencies, no ``Request``/``Response``/``BackgroundTasks``, no form). Per
request: the parameters are validated by FastAPI's own field validation (the installed version's
``request_params_to_args`` and ``request_body_to_args``, so values and 422 errors are FastAPI's),
the endpoint is called, and the value is serialized as the installed FastAPI serializes it
(``serialize_response``, its ``dump_json`` fast path where it has one, the route's response
class). A ``def`` endpoint runs on an executor thread with no hop to an event loop; an ``async
def`` endpoint runs on the runtime's asyncio thread, its first step at once."""
import asyncio
import collections
from contextvars import copy_context
from fastapi.responses import Response

from starlette.convertors import PathConvertor, StringConvertor
from starlette.requests import Request
from starlette.routing import Match

from .. import _asyncio_host
from .._contract import Body, new
from . import fast_params, request_body, support
from .runner import drive, on_loop
from .route_response import RouteResponse

_TEXT_CONVERTORS = (StringConvertor, PathConvertor)


_SlowPath = collections.namedtuple("_SlowPath", "cycle request")


class _NeedsRequest(Exception):
    """The fast path met something only the full request path answers exactly."""


class DirectPlan:
    kind = "direct"

    def __init__(self, runner, route):
        self.runner = runner
        self.route = route
        self.top_route = route
        dependant = route.dependant
        self.endpoint = dependant.call
        self.runs_async = support.is_async_callable(self.endpoint)
        self.path_params = dependant.path_params
        self.query_params = dependant.query_params
        self.header_params = dependant.header_params
        self.cookie_params = dependant.cookie_params
        self.body_params = dependant.body_params
        self.body_field = route.body_field
        self.embed_body_fields = getattr(route, "_embed_body_fields", False)
        self.single_body_field = support.single_body_field(self.body_params, self.embed_body_fields) \
            if self.body_params else None
        self.json_without_content_type = request_body.json_without_content_type(route)
        self.response = RouteResponse(route, self.endpoint)
        # Parameter groups converted without pydantic on the happy path (see fast_params).
        convertors = route.param_convertors
        string_path = all(type(convertors[f.alias]) in _TEXT_CONVERTORS for f in self.path_params
                          if f.alias in convertors)
        self.fast_path = fast_params.compile_group(self.path_params) if string_path else None
        self.fast_query = fast_params.compile_group(self.query_params)
        self.fast_headers = fast_params.compile_group(self.header_params, lower_alias=True)

    # -- entry points ----------------------------------------------------------------------

    def run(self, request_parts, body, native):
        """A ``def`` endpoint, on an executor thread. Returns the response as a ``native``
        message when it is one plain body, else sends it through ``native`` and returns None."""
        slow = None
        try:
            try:
                values = self._fast_arguments(request_parts, body)
                if values is None:
                    # Built before validating, so that an error's handler gets this request.
                    slow = self._slow(request_parts, body, native)
                    values = self._arguments(slow.request, body)
                raw = copy_context().run(self.endpoint, **values)
                message = self.response.fast_message(raw) if slow is None else None
                if message is not None:
                    return message
                response = self._response(raw)
            except Exception as exc:  # noqa: BLE001 - answered as the app would
                cycle, request = slow or self._slow(request_parts, body, native)
                response, unhandled = self.runner.error_response_sync(request, exc)
                if unhandled:
                    cycle.answer_outside_middleware()
                if not self._send_sync(response, cycle, exc if unhandled else None):
                    cycle.close()
                return
            if slow is None and support.is_plain_response(response) and response.background is None:
                # The whole response, returned to the runtime (no call back into it).
                return new(Body, (response.status_code, response.raw_headers, response.body, False, None))
            cycle, _ = slow or self._slow(request_parts, body, native)
            if not self._send_sync(response, cycle, None):
                cycle.close()
        except BaseException as exc:  # noqa: BLE001
            cycle = slow.cycle if slow else self.runner.new_cycle(request_parts, body, native)
            self.runner.report(cycle, exc)
            cycle.close()

    def start(self, request_parts, body, native):
        """An ``async def`` endpoint, on the asyncio thread."""
        _asyncio_host.start(self._run_async(request_parts, body, native))

    async def _run_async(self, request_parts, body, native):
        slow = None
        try:
            try:
                values = self._fast_arguments(request_parts, body)
                if values is None:
                    # Built before validating, so that an error's handler gets this request.
                    slow = self._slow(request_parts, body, native)
                    values = self._arguments(slow.request, body)
                raw = await self.endpoint(**values)
                message = self.response.fast_message(raw) if slow is None else None
                if message is not None:
                    native(message)
                    return
                response = self._response(raw)
                reported = None
            except Exception as exc:  # noqa: BLE001
                slow = slow or self._slow(request_parts, body, native)
                response, unhandled = await self.runner.error_response(slow.request, exc)
                reported = exc if unhandled else None
                if unhandled:
                    slow.cycle.answer_outside_middleware()
            if slow is None and support.is_plain_response(response) and response.background is None:
                native(new(Body, (response.status_code, response.raw_headers, response.body, False, None)))
                return
            cycle, _ = slow or self._slow(request_parts, body, native)
            await self.runner.send(response, cycle)
            if reported is not None:
                self.runner.report(cycle, reported)
            else:
                cycle.release()
        except BaseException as exc:  # noqa: BLE001
            cycle = slow.cycle if slow else self.runner.new_cycle(request_parts, body, native)
            self.runner.report(cycle, exc)
        finally:
            if slow is not None:
                slow.cycle.close()

    def _slow(self, request_parts, body, native):
        """The request as the app would see it (scope, cycle, ``Request``): for validation
        errors, exception handlers, and responses that are not a plain body."""
        cycle = self.runner.new_cycle(request_parts, body, native)
        return _SlowPath(cycle, self._request(cycle, body))

    def _fast_arguments(self, request_parts, body):
        """The endpoint's arguments without pydantic, or None when pydantic must decide."""
        values = {}
        if self.path_params:
            if self.fast_path is None:
                return None
            raw_path = request_parts.path_params
            if not fast_params.extract(self.fast_path, raw_path.get, values):
                return None
        if self.query_params:
            if self.fast_query is None:
                return None
            query = fast_params.query_values(request_parts.query_string)
            if not fast_params.extract(self.fast_query, query.get, values):
                return None
        if self.header_params:
            if self.fast_headers is None:
                return None
            headers = {}
            for name, value in request_parts.headers:
                headers.setdefault(name.decode("latin-1"), value.decode("latin-1"))
            if not fast_params.extract(self.fast_headers, headers.get, values):
                return None
        if self.cookie_params:
            return None
        if self.body_field is not None:
            content_type = None
            for name, value in request_parts.headers:
                if name == b"content-type":
                    content_type = value.decode("latin-1")
                    break
            try:
                if self.single_body_field is not None:
                    return values if self._validate_whole_body(content_type, body, values) else None
                _, found, failed = self._body_values(content_type, body, None)
            except _NeedsRequest:
                return None
            if failed:
                return None
            values.update(found)
        return values

    def _validate_whole_body(self, content_type, body, values):
        """The happy path of ``request_body_to_args`` for a route whose one body field takes
        the whole JSON body: the field's own validation of the parsed value (what FastAPI does
        for it). False when FastAPI's own path must answer: no body, JSON null, not JSON, or
        a value the field refuses."""
        parsed = self._parse_body(content_type, body, None)
        if parsed is request_body.EMPTY or parsed is None or type(parsed) is bytes:
            return False
        field = self.single_body_field
        value, errors = field.validate(parsed, {}, loc=("body",))
        if errors:
            return False
        values[field.name] = value
        return True

    # -- steps -----------------------------------------------------------------------------

    def _request(self, cycle, body):
        scope = cycle.scope
        match, child_scope = self.route.matches(scope)
        if match != Match.FULL:
            raise RuntimeError(f"route {self.route.path} was chosen for {scope['path']} but does not match it")
        scope.update(child_scope)
        request = Request(scope, cycle.receive, cycle.send)
        request._body = body
        cycle.body_taken()
        return request

    def _arguments(self, request, body):
        values = {}
        errors = []
        for fields, received in (
            (self.path_params, request.path_params),
            (self.query_params, request.query_params if self.query_params else None),
            (self.header_params, request.headers if self.header_params else None),
            (self.cookie_params, request.cookies if self.cookie_params else None),
        ):
            if fields:
                found, failed = support.request_params_to_args(fields, received)
                values.update(found)
                errors += failed
        parsed = request_body.EMPTY
        if self.body_field is not None:
            parsed, found, failed = self._body_values(request.headers.get("content-type"), body, request)
            values.update(found)
            errors += failed
        if errors:
            raise self._validation_error(errors, None if parsed is request_body.EMPTY else parsed, request)
        return values

    def _body_values(self, content_type, body, request):
        """The body as FastAPI reads it, then its fields as FastAPI validates them."""
        parsed = self._parse_body(content_type, body, request)
        found, failed = drive(support.request_body_to_args(
            self.body_params, support.MISSING_BODY if parsed is request_body.EMPTY else parsed, self.embed_body_fields))
        return parsed, found, failed

    def _parse_body(self, content_type, body, request):
        """The body as FastAPI reads it (``request_body``); ``EMPTY`` for none. Errors raise as
        FastAPI's; without a ``request`` (the fast path) any error raises ``_NeedsRequest``."""
        try:
            return request_body.parse(body, content_type, self.json_without_content_type)
        except Exception as error:  # noqa: BLE001
            if request is None:
                raise _NeedsRequest from error
            raise request_body.error_for(
                error, lambda errors, doc: self._validation_error(errors, doc, request)) from error

    def _validation_error(self, errors, body, request):
        return request_body.validation_error(errors, body, request, self.response.endpoint_context, self.route.path)

    def _response(self, raw):
        """The response for an endpoint's return value, as FastAPI builds it."""
        if isinstance(raw, Response):
            return raw
        arguments = {"background": None}
        if self.response.status_code:
            arguments["status_code"] = self.response.status_code
        return self.response.build(raw, arguments)

    def _send_sync(self, response, cycle, reported):
        if response is None:
            raise RuntimeError("the exception handler returned no response")
        if support.is_plain_response(response) and response.background is None:
            cycle.respond(response.status_code, response.raw_headers, response.body)
            if reported is not None:
                self.runner.report(cycle, reported)
            else:
                cycle.release()
            return False
        # Streamed bodies and background tasks need the event loop.
        async def finish():
            try:
                await self.runner.send(response, cycle)
                if reported is not None:
                    self.runner.report(cycle, reported)
                else:
                    cycle.release()
            except BaseException as exc:  # noqa: BLE001
                self.runner.report(cycle, exc)
            finally:
                cycle.close()

        if self.runner.server.testing:
            on_loop(finish())
        else:
            asyncio.run_coroutine_threadsafe(finish(), _asyncio_host.loop())
        return True
