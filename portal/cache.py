"""The cache, forgiving: when Redis cannot be reached, pages carry on without a cache.

The cache only speeds pages up (dashboard figures, charts) and holds the sign-in failure
counts; none of it is the record of anything. So a Redis error is logged and treated as a
miss (reads) or as done (writes) instead of turning every page into a 500.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
_ERRORS = (RedisError, OSError)
# Log the outage once a minute, not on every cache call of every request.
_LOG_EVERY_SECONDS = 60.0
_last_logged = 0.0


def _unavailable(operation: str, error: Exception) -> None:
    global _last_logged
    now = time.monotonic()
    if now - _last_logged >= _LOG_EVERY_SECONDS:
        _last_logged = now
        logger.warning("Cache unavailable (%s: %s); carrying on without it.", operation, error)


class ForgivingRedisCache(RedisCache):
    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        try:
            return bool(super().add(key, value, timeout, version))
        except _ERRORS as error:
            _unavailable("add", error)
            return False

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        try:
            return super().get(key, default, version)
        except _ERRORS as error:
            _unavailable("get", error)
            return default

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> None:
        try:
            super().set(key, value, timeout, version)
        except _ERRORS as error:
            _unavailable("set", error)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        try:
            return bool(super().touch(key, timeout, version))
        except _ERRORS as error:
            _unavailable("touch", error)
            return False

    def delete(self, key: Any, version: Any = None) -> bool:
        try:
            return bool(super().delete(key, version))
        except _ERRORS as error:
            _unavailable("delete", error)
            return False

    def get_many(self, keys: Any, version: Any = None) -> dict[Any, Any]:
        try:
            return dict(super().get_many(keys, version))
        except _ERRORS as error:
            _unavailable("get_many", error)
            return {}

    def has_key(self, key: Any, version: Any = None) -> bool:
        try:
            return bool(super().has_key(key, version))
        except _ERRORS as error:
            _unavailable("has_key", error)
            return False

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        try:
            return int(super().incr(key, delta, version))
        except _ERRORS as error:
            _unavailable("incr", error)
            return 0

    def set_many(self, data: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> list[Any]:
        try:
            return list(super().set_many(data, timeout, version))
        except _ERRORS as error:
            _unavailable("set_many", error)
            return list(data)

    def delete_many(self, keys: Any, version: Any = None) -> None:
        try:
            super().delete_many(keys, version)
        except _ERRORS as error:
            _unavailable("delete_many", error)

    def clear(self) -> None:
        try:
            super().clear()
        except _ERRORS as error:
            _unavailable("clear", error)
