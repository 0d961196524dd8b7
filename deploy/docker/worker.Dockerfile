# Go worker (/worker, the entrypoint) and the demo HTTP target (/target). Build from the repository root:
#   docker build -f deploy/docker/worker.Dockerfile -t locust-fleet/worker:0.1.0 .
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY workers-go/go.mod workers-go/go.sum ./
# boomer is a patched copy in the repository (go.mod's replace): its go.mod is part of the graph.
COPY workers-go/third_party/boomer/go.mod workers-go/third_party/boomer/go.sum ./third_party/boomer/
RUN go mod download
COPY workers-go/ ./
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/worker . \
 && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/target ./cmd/target

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/worker /worker
COPY --from=build /out/target /target
# distroless "nonroot" is uid/gid 65532; numeric so Kubernetes can verify runAsNonRoot.
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/worker"]
