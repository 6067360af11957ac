"""The deployment checklist names a production without Redis for the pushed updates."""

from django.core.checks import run_checks


def test_production_without_push_redis_is_warned(settings):
    settings.DEBUG, settings.PUSH_REDIS_URL = False, ""
    assert "onewindow.W020" in {m.id for m in run_checks(include_deployment_checks=True)}
    settings.PUSH_REDIS_URL = "redis://127.0.0.1:6379/0"
    assert "onewindow.W020" not in {m.id for m in run_checks(include_deployment_checks=True)}
