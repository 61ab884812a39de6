# One image for every role: `vaimanasoft serve | worker | scheduler | migrate`.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY api ./api
COPY actors ./actors
COPY pipelines ./pipelines
COPY schedules ./schedules
COPY core ./core
RUN pip install --no-cache-dir . && useradd --system --home /app vaimanasoft && mkdir -p /data && chown vaimanasoft /data
USER vaimanasoft
ENV DATA_DIR=/data HOST=0.0.0.0 PORT=8000
EXPOSE 8000
CMD ["vaimanasoft", "serve"]
