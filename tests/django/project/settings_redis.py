"""The project with channels_redis (tests/doctor.rs): the Redis channel
layer at 127.0.0.1:$WSMON_REDIS_PORT (6379 when unset)."""
import os

from .settings import *  # noqa: F401,F403

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [("127.0.0.1", int(os.environ.get("WSMON_REDIS_PORT", "6379")))]},
    }
}
