# Production image: dependencies from the hash-pinned lock file, a non-root user, uvicorn.
# DATABASE_URL is required (ENVIRONMENT=production refuses to start without it and
# without a strong JWT_SECRET); migrations are applied once, by the parent process, at
# start. WEB_CONCURRENCY sets the number of worker processes (`python -m api --workers`).
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
COPY requirements.lock /tmp/requirements.lock
RUN python -m venv /venv \
 && /venv/bin/pip install --require-hashes -r /tmp/requirements.lock

FROM python:3.11-slim
ENV PATH=/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ENVIRONMENT=production \
    WEB_CONCURRENCY=2
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home duangta
COPY --from=build /venv /venv
WORKDIR /app
COPY alembic.ini ./
COPY api ./api
COPY auth ./auth
COPY domain ./domain
COPY persistence ./persistence
USER duangta
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health/live').status != 200)"]
CMD ["python", "-m", "api", "--host", "0.0.0.0", "--port", "8000"]
