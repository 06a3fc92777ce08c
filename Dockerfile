# Culture Coach: a slim, non-root image that migrates the database, then runs the bot.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DATABASE_URL=sqlite+aiosqlite:////data/coach.db CONTENT_DIR=/app/content
RUN useradd --create-home --uid 10001 coach && mkdir /data && chown coach /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/* && rm -rf /wheels
WORKDIR /app
COPY alembic.ini ./
COPY migrations ./migrations
COPY content ./content
COPY bot ./bot
USER coach
VOLUME ["/data"]
# Webhook mode (`python -m bot run --webhook`, or WEBHOOK_BASE_URL set) serves the web app
# here, behind a TLS proxy; polling (the default) needs no port. HOST must be 0.0.0.0 then.
ENV HOST=0.0.0.0 PORT=8080
EXPOSE 8080
# `run` upgrades the database first; `migrate` alone is there for one-off use.
CMD ["sh", "-c", "python -m bot migrate && exec python -m bot run"]
