"""A short schemathesis run against the OpenAPI schema (/api/schema/, drf-spectacular): a few
hundred generated requests (reads anonymous, writes with an API client's token) and no
server error.
Derandomized: the same cases every run, so a failure reproduces."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
EXAMPLES = 25  # per operation and caller; about 300 requests for the 12 operations today


@pytest.fixture
def unlimited(settings):
    """Throttles would answer 429 long before the cases run out."""
    rates = dict.fromkeys(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "100000/minute")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


@pytest.fixture
def same_connection():
    """The WSGI application closes the database connection after each request, which would
    end the test's transaction; Django's test client keeps it the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_generated_request_gets_a_server_error(case, unlimited, same_connection, api_token):
    headers = {"Authorization": f"Token {api_token}"} if case.method != "GET" else None
    response = case.call(headers=headers)
    case.validate_response(response, checks=[not_a_server_error])
