# Memory Mesh service image: `docker compose up --build` (docker-compose.yml) runs it with
# PostgreSQL + pgvector and Redis. Not built in this project's CI, which has no Docker
# engine: tests/infra/test_docker.py runs this file's install and start commands in a
# fresh virtual environment instead.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# the service runs as this unprivileged user, never as root
RUN useradd --create-home --uid 10001 memory
WORKDIR /app

# dependencies first, exactly as locked (hashes checked): this layer is cached until the lock changes
COPY requirements/service.txt requirements/service.txt
RUN pip install --require-hashes --no-deps -r requirements/service.txt

# then the package itself, without resolving anything again
COPY pyproject.toml README.md ./
COPY layers/core layers/core
RUN pip install --no-deps --no-build-isolation .

USER memory
ENV MEMORY_HOST=0.0.0.0 \
    MEMORY_PORT=8000 \
    MEMORY_DATA_DIR=/home/memory/data
EXPOSE 8000
CMD ["memory-mesh", "serve", "--host", "0.0.0.0"]
