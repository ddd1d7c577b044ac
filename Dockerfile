# syntax=docker/dockerfile:1
# One image for every process: web (default CMD), migrate, celery worker and beat
# (docker-compose.yml picks the command). Build: docker build -t oms .

FROM python:3.12-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

# --- build: dependencies, compiled translations, collected static files ----------------------
FROM base AS build
# gettext's msgfmt is needed only to compile translations; it stays out of the final image.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
# Dependencies first, so a code change does not reinstall them.
COPY requirements.lock /tmp/requirements.lock
RUN pip install -r /tmp/requirements.lock

WORKDIR /app
COPY . .
RUN if ls -d locale */locale >/dev/null 2>&1; then \
        python manage.py compilemessages --ignore=.venv --ignore=node_modules; \
    fi
# Settings refuse to start without SECRET_KEY when DEBUG is off; collectstatic needs neither a
# real key nor a database.
RUN DEBUG=false SECRET_KEY=collectstatic-build-only python manage.py collectstatic --noinput

# --- runtime ----------------------------------------------------------------------------------
FROM base
RUN groupadd --system --gid 10001 oms \
    && useradd --system --uid 10001 --gid oms --home-dir /home/oms --create-home \
        --shell /usr/sbin/nologin oms
COPY --from=build /opt/venv /opt/venv
# Code and static files stay owned by root: the app user can read them, not change them.
COPY --from=build /app /app
WORKDIR /app
# Safe by default: the image never runs with DEBUG unless asked, and then needs SECRET_KEY.
ENV DEBUG=false \
    WEB_CONCURRENCY=2
USER oms
EXPOSE 8000
# Open event streams would hold a shutdown forever: browsers reconnect with Last-Event-ID, so
# 5 s of grace is enough.
# sh -c so WEB_CONCURRENCY is read when the container starts; exec replaces the shell, so uvicorn
# runs as PID 1 and receives SIGTERM from `docker stop` directly.
CMD ["sh", "-c", "exec uvicorn oms.asgi:application --host 0.0.0.0 --port 8000 --workers ${WEB_CONCURRENCY:-2} --timeout-graceful-shutdown 5"]
