"""gunicorn's settings for the production image (``gunicorn -c gunicorn.conf.py``)."""

import os

bind = f"0.0.0.0:{os.environ.get('PORT') or 8000}"
workers = int(os.environ.get("WEB_CONCURRENCY") or 4)
timeout = 120
# X-Forwarded-For and X-Forwarded-Proto are believed only from the proxy in front (the same
# TRUSTED_PROXY_IPS the portal uses for the client address); from anyone else they are ignored.
forwarded_allow_ips = os.environ.get("TRUSTED_PROXY_IPS") or "127.0.0.1,::1"
accesslog = "-"
