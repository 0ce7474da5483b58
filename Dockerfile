# pullgen as a container image: a kpt or kustomize container function (ResourceList on
# stdin), `pullgen render` with a mounted key, and the Argo CD sidecar's program.
#
# Nothing is pulled from a registry: the image is `scratch` plus what `make image-context`
# puts into the build context (bin/image): the static binary (CGO_ENABLED=0), the CA
# certificates of the building machine (for `pullgen check --online` and key services) and
# /etc/passwd and /etc/group with root, nobody (kpt and kustomize run functions as
# nobody) and nonroot (65532, the image's user). Build it with
#   make image                                  # podman; IMAGE=... names it
#   make image CONTAINER_ENGINE=docker
# or, by hand, `make image-context` then
#   podman build -f Dockerfile -t pullgen:dev bin/image
FROM scratch
COPY etc/ /etc/
COPY pullgen /usr/local/bin/pullgen
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/pullgen"]
