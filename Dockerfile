# MelNev Telegram bot.
#   docker build -t melnev .
#   docker run --rm -e BOT_TOKEN=123:abc melnev
# See docs/bot.md for webhooks, a self-hosted Bot API server and all settings.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TF_CPP_MIN_LOG_LEVEL=2 \
    CUDA_VISIBLE_DEVICES=-1

# libglib2.0-0: needed by OpenCV's headless wheel on slim images.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin melnev
WORKDIR /app

# The package and its shipped model, serving packages only: the model runs from its LiteRT
# file, so TensorFlow is not installed (about 2.4 GB less; `.[train]` would add it).
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY model ./model
COPY preprocessing ./preprocessing
COPY training ./training
RUN pip install . && rm -rf build *.egg-info

# A small skin-coloured image with a dark spot, for the health check (built here, no data).
RUN python -c "from PIL import Image, ImageDraw; \
image = Image.new('RGB', (256, 256), (214, 160, 132)); \
ImageDraw.Draw(image).ellipse((88, 96, 168, 160), fill=(95, 60, 45)); \
image.save('/app/healthcheck.jpg', quality=92)"

USER melnev

# Loads the model (MELNEV_MODEL_PATH when set, else the shipped one) and runs one prediction.
# Start-up to the first getUpdates takes about 1 s serving from LiteRT (9.5 s with
# TensorFlow, 10.9 s under load); a cold `melnev predict` about 0.5 s. The start period
# leaves room for a slow, loaded host; docs/bot.md gives the figures.
HEALTHCHECK --interval=5m --timeout=30s --start-period=30s --start-interval=5s --retries=3 \
    CMD melnev predict --json ${MELNEV_MODEL_PATH:+--model "$MELNEV_MODEL_PATH"} /app/healthcheck.jpg > /dev/null || exit 1

# Webhook mode listens here when MELNEV_WEBHOOK_URL is set (long polling needs no port).
EXPOSE 8443
STOPSIGNAL SIGTERM
CMD ["melnev", "bot"]
