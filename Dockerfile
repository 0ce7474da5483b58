# pullgen as a container image: usable as a kpt or kustomize container function
# (ResourceList on stdin) and as an Argo CD sidecar binary.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=v0.1.0-dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X pullgen.dev/pullgen/internal/cli.Version=${VERSION}" \
      -o /out/pullgen ./cmd/pullgen

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/pullgen /usr/local/bin/pullgen
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/pullgen"]
