import pytest


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/zh-hans/", "/en/services/", "/api/docs/", "/zh-hans/staff/signin/"]
)
def test_every_response_carries_a_strict_script_policy(client, path):
    response = client.get(path)
    policy = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
