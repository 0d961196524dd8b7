# Locust master with the locust-fleet plugin, and the Go worker beside it: the Locust Kubernetes
# operator runs one image for its master and its workers, and the entrypoint picks the role
# (deploy/docker/entrypoint.sh). Build from the repository root:
#   docker build -f deploy/docker/master.Dockerfile -t locust-fleet/master:0.1.0 .
FROM golang:1.26.8-bookworm AS worker
WORKDIR /src
COPY workers-go/go.mod workers-go/go.sum ./
# boomer is a patched copy in the repository (go.mod's replace): its go.mod is part of the graph.
COPY workers-go/third_party/boomer/go.mod workers-go/third_party/boomer/go.sum ./third_party/boomer/
RUN go mod download
COPY workers-go/ ./
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/locust-fleet-worker .

FROM python:3.11.9-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    LOCUST_SPOOL_DIR=/var/lib/locust-fleet/spool

# Numeric uid/gid so Kubernetes can verify runAsNonRoot without resolving a user name.
RUN groupadd --system --gid 10001 locust \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/locust-fleet --no-create-home locust \
 && mkdir -p /var/lib/locust-fleet/spool \
 && chown -R 10001:10001 /var/lib/locust-fleet

WORKDIR /app
COPY pyproject.toml ./
COPY master/ master/
COPY py_bridge/ py_bridge/
# Every dependency ships a manylinux wheel, so no compiler is needed; drop the in-tree build output.
RUN pip install --no-cache-dir . \
 && rm -rf build ./*.egg-info
COPY --from=worker /out/locust-fleet-worker /usr/local/bin/locust-fleet-worker
COPY deploy/docker/entrypoint.sh deploy/docker/entrypoint.sh

WORKDIR /var/lib/locust-fleet
USER 10001:10001
EXPOSE 5557 8089
# locust -f /app/master/locustfile.py --master --master-bind-host 0.0.0.0 ARGS, or with --worker among
# ARGS (or LOCUST_MODE_WORKER=true) locust-fleet-worker ARGS.
ENTRYPOINT ["/app/deploy/docker/entrypoint.sh"]
