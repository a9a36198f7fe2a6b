# MelNev Telegram bot, serving the shipped model from its LiteRT file (no TensorFlow).
#   docker build -t melnev .
#   docker run -d --restart unless-stopped -e BOT_TOKEN=123:abc melnev
# Builds with Docker Engine 20 and newer and with buildah/podman (`--format docker` keeps the
# HEALTHCHECK, which the OCI format drops). Without Docker Hub, scripts/check_image.sh builds
# it on a Debian stand-in base and checks it. docs/bot.md: webhooks, settings, figures.

# --- Build stage: the package and its serving dependencies in a venv ---------------------
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# Optional, for this stage only (never in the final image): a PyPI mirror, and the CA bundle
# of a TLS-intercepting proxy (mounted into the build, e.g. `buildah bud -v ...`).
ARG PIP_INDEX_URL=
ARG PIP_CERT=

RUN python -m venv /opt/melnev
WORKDIR /src
# .dockerignore lets in only what the package is built from.
COPY . .
# Serving packages only: the model runs from its LiteRT file, so TensorFlow is not
# installed (`.[train]` would add about 2.4 GB). pip and setuptools leave the venv after use.
# No bytecode (--no-compile): 24 MB less for 0.2 s more at each start (imports of the bot
# 0.5 -> 0.7 s, measured in the image). Then what serving never loads (about 50 MB): the
# test suites of the dependencies, type stubs, and LiteRT's optional pieces beside its
# interpreter (the WebGPU accelerator, loaded only on request; vendor NPU plugins; the AOT
# compiler tools). scripts/check_image.sh checks that the image still answers a photo.
RUN if [ -z "$PIP_INDEX_URL" ]; then unset PIP_INDEX_URL; fi; \
    if [ -z "$PIP_CERT" ]; then unset PIP_CERT; fi; \
    /opt/melnev/bin/pip install --no-compile . \
    && /opt/melnev/bin/pip uninstall --yes pip setuptools \
    && cd /opt/melnev/lib/python3.11/site-packages \
    && find . -depth -type d -name tests -exec rm -r {} + \
    && find . -depth -name __pycache__ -exec rm -r {} + \
    && find . -name '*.pyi' -delete \
    && rm -rf ai_edge_litert/libLiteRtWebGpuAccelerator.so ai_edge_litert/vendors \
        ai_edge_litert/tools ai_edge_litert/aot

# --- Final stage: the base image, the venv, one example photo ----------------------------
FROM python:3.11-slim

ENV PATH=/opt/melnev/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MELNEV_HEALTHCHECK_PHOTO=/app/examples/mole_ISIC_0033971.jpg

RUN groupadd --gid 10001 melnev \
    && useradd --create-home --uid 10001 --gid 10001 --shell /usr/sbin/nologin melnev
COPY --from=build /opt/melnev /opt/melnev
# A real dermoscopic photo (HAM10000, CC BY-NC 4.0: attribution in the README beside it)
# that the shipped model answers: the health check runs the classifier on it.
COPY examples/README.md examples/mole_ISIC_0033971.jpg /app/examples/
WORKDIR /app

# Numeric, so that Kubernetes' runAsNonRoot can verify it; the user is `melnev`.
USER 10001:10001

# Healthy only when the classifier answers a real photo: a risk level and no quality issue.
# A refusal ("not_a_lesion", ...), a broken model or gate, or a crash exits 1. Loads the model
# of the bot (MELNEV_MODEL_PATH / MELNEV_PHOTO_GATE when set, else the shipped ones); a cold
# `melnev predict` takes about 0.6 s. No --start-interval: Docker before 25 and buildah
# refuse it.
HEALTHCHECK --interval=5m --timeout=30s --start-period=30s --retries=3 \
    CMD melnev predict --json ${MELNEV_MODEL_PATH:+--model "$MELNEV_MODEL_PATH"} \
        ${MELNEV_PHOTO_GATE:+--gate "$MELNEV_PHOTO_GATE"} "$MELNEV_HEALTHCHECK_PHOTO" \
        | python -c "import json, sys; a = json.load(sys.stdin)[0]; \
ok = a['risk_level'] is not None and not a['quality_issues']; \
print('answered' if ok else 'refused', a['risk_level'], a['quality_issues'], a['photo_kind']); \
sys.exit(0 if ok else 1)"

# Webhook mode listens here when MELNEV_WEBHOOK_URL is set (long polling needs no port).
EXPOSE 8443
STOPSIGNAL SIGTERM
CMD ["melnev", "bot"]
