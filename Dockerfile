# kb-quote-bot container image.
#
#   docker build -t kb-quote-bot .
#   docker run -e DISCORD_TOKEN -v kb-data:/app/data kb-quote-bot            # the Discord bot
#   docker run --rm kb-quote-bot ask "How many people were detained?"        # one answer, no token
#
# knowledge/ and config/ are baked in as working defaults; mount your own over
# /app/knowledge and /app/config. /app/data (SQLite records, file history, saved index)
# is a volume. See docs/deploy.md.

# The base is pinned by its full version tag; pin the digest as well
# (python:3.11.17-slim-bookworm@sha256:...) once you have pulled it and checked it.
FROM python:3.11.17-slim-bookworm

LABEL org.opencontainers.image.title="kb-quote-bot" \
      org.opencontainers.image.description="Discord bot that answers with verbatim, cited quotes from a knowledge base" \
      org.opencontainers.image.licenses="MIT"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

WORKDIR /src

# Dependencies first, in their own layer: it is rebuilt only when pyproject.toml changes,
# not on every source edit. The stub package and README let pip resolve the project's
# dependencies; the stub itself is uninstalled again.
COPY pyproject.toml ./
RUN mkdir bot && touch bot/__init__.py README.md \
    && pip install --no-cache-dir . \
    && pip uninstall --yes kb-quote-bot \
    && rm -rf bot build README.md ./*.egg-info

# The project itself, without touching the dependency layer.
COPY README.md LICENSE ./
COPY bot/ bot/
RUN pip install --no-cache-dir --no-deps . \
    && rm -rf build ./*.egg-info

# Unprivileged user. It owns only what the bot writes: data/, and knowledge/ for /kb upload;
# config/ stays read-only to it.
RUN rm -rf /src \
    && useradd --system --uid 10001 --user-group --home-dir /app --no-create-home --shell /usr/sbin/nologin bot

WORKDIR /app
COPY config/ config/
COPY --chown=10001:10001 knowledge/ knowledge/
RUN mkdir -p data && chown 10001:10001 data

VOLUME ["/app/data"]
USER 10001:10001

# The bot closes the gateway, finishes in-flight answers and flushes its database on
# SIGTERM (what `docker stop` sends); give it the default 10 s or more (compose: stop_grace_period).
STOPSIGNAL SIGTERM

# Healthy only while the running bot keeps its heartbeat file fresh (it does so while
# connected to Discord). One-off commands such as `ask` are not affected.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot", "health"]

ENTRYPOINT ["python", "-m", "bot"]
CMD ["run"]
