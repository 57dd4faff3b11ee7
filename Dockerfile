# One image for the web server, the Celery worker and Celery beat (see docker-compose.yml).
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend ./frontend
COPY static ./static
RUN node frontend/build.mjs

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=portal.settings.production
# WeasyPrint needs Pango; fonts for the PDF reports; poppler-utils reads PDFs back.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
    libharfbuzz-subset0 fonts-dejavu-core fonts-liberation poppler-utils \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 1000 portal
WORKDIR /app
# The locked production set, every package checked against its hash; the embedded servers and
# the development tools are not in it (requirements/dev.txt has them).
COPY requirements/main.txt ./requirements/
RUN pip install --no-cache-dir --require-hashes -r requirements/main.txt
COPY --chown=portal:portal . .
# Uploads live here (compose mounts a volume on it): the new volume takes this folder's owner.
RUN install -d -o portal -g portal /app/media
COPY --from=assets --chown=portal:portal /app/static ./static
RUN SECRET_KEY=build-only ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput
# The project's bytecode, compiled once here: PYTHONDONTWRITEBYTECODE keeps every process
# (web worker, Celery worker, manage.py import_spend) from writing it, so without this each
# one compiled the project's modules again as it started (about 0.3 s; decision 0009).
RUN python -m compileall -q -j 0 .
USER portal
EXPOSE 8000
# Bind address, workers and the proxy trusted for forwarded headers: gunicorn.conf.py.
CMD ["gunicorn", "-c", "gunicorn.conf.py", "portal.wsgi:application"]
