"""The web container's health check (docker-compose.yml): ``python -m portal.healthcheck``.

It asks for ``/healthz`` as a browser would, with the site's own host name (the first of
``ALLOWED_HOSTS``): under production settings Django refuses ``Host: 127.0.0.1``. The web
server is healthy when it answers and reaches its database; Redis and the worker are in the
report for monitoring, but restarting the web server would mend neither.
Exit status 0 when healthy, 1 otherwise.
"""

import json
import os
import sys
import urllib.error
import urllib.request

from portal.settings.env import env_list


def site_host() -> str:
    hosts = env_list("ALLOWED_HOSTS", "localhost")
    host = hosts[0] if hosts else "localhost"
    if host == "*":
        return "localhost"
    return host.lstrip(".")  # ".example.gov.uk" allows example.gov.uk itself


def check(url: str | None = None) -> tuple[bool, str]:
    url = url or f"http://127.0.0.1:{os.environ.get('PORT') or 8000}/healthz?format=json"
    if not url.startswith(("http://", "https://")):
        return False, f"HEALTHCHECK_URL must be an http(s) address, not {url!r}"
    headers = {"Host": site_host(), "Accept": "application/json"}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (scheme checked above)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            body = response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:  # 503: something it checks is down
        body = error.read().decode("utf-8", "replace")
    except OSError as error:
        return False, f"{url} did not answer: {error}"
    try:
        report = json.loads(body)
    except ValueError:
        return False, f"{url} answered something other than the health report: {body[:300]}"
    return bool(report.get("database", {}).get("ok")), body


def main() -> None:
    healthy, detail = check(os.environ.get("HEALTHCHECK_URL"))
    print(detail)
    sys.exit(0 if healthy else 1)


if __name__ == "__main__":
    main()
