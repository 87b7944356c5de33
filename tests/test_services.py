"""The cache, channel layer and task broker answer, whichever are configured. When .ci/run sets
CCAP_REQUIRE_SERVICES, the real PostgreSQL and Redis must be the ones in use: a missing service
fails the run instead of quietly falling back to the embedded defaults."""

import os
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import connection

REQUIRED = {s.strip() for s in os.environ.get("CCAP_REQUIRE_SERVICES", "").split(",") if s.strip()}


def test_the_cache_round_trips():
    key = f"probe-{uuid.uuid4()}"
    cache.set(key, {"ok": True}, 30)
    assert cache.get(key) == {"ok": True}
    cache.delete(key)


def test_the_channel_layer_delivers_a_message():
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.send)(channel, {"type": "probe", "n": 1})
    assert async_to_sync(layer.receive)(channel) == {"type": "probe", "n": 1}


@pytest.mark.django_db
def test_the_task_broker_accepts_a_task():
    from django_q.brokers import get_broker

    broker = get_broker()
    assert broker.ping()


@pytest.mark.django_db
def test_the_database_in_use_is_the_one_configured():
    configured = os.environ.get("DATABASE_URL", "sqlite://")
    expected = "postgresql" if configured.startswith("postgres") else "sqlite"
    if "postgresql" in REQUIRED:
        expected = "postgresql"
    assert connection.vendor == expected
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_redis_backs_the_cache_channels_and_broker_when_configured():
    if "redis" not in REQUIRED and not settings.REDIS_URL:
        assert settings.CACHES["default"]["BACKEND"].endswith("LocMemCache")
        assert "orm" in settings.Q_CLUSTER
        return
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    assert settings.Q_CLUSTER["redis"] == settings.REDIS_URL
    import redis

    assert redis.Redis.from_url(settings.REDIS_URL).ping()
