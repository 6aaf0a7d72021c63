# syntax=docker/dockerfile:1
# The max-server image: `docker build -t max-swift . && docker run -p 5000:5000 max-swift`.
# The build stage runs scripts/build-release.sh, the same script CI runs.

FROM swift:6.3-bookworm AS build
# FoundationNetworking (asset downloads) links against libcurl: the build needs its -dev package.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libcurl4-openssl-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
COPY scripts/build-release.sh ./scripts/
RUN scripts/build-release.sh /staging

# The run-time files, gathered from Debian: the binary carries the Swift runtime
# (--static-swift-stdlib) and needs only libc, libstdc++ and libcurl4 (with what libcurl links),
# plus CA certificates for https asset downloads. scripts/make-runtime-root.sh copies exactly
# the binary's shared-library closure into /rootfs.
FROM debian:bookworm-slim AS runtime-libs
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libcurl4 libstdc++6 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY scripts/make-runtime-root.sh /usr/local/bin/
COPY --from=build /staging/max-server /rootfs/usr/local/bin/max-server
RUN make-runtime-root.sh /rootfs

# The image: those files and the service's own, nothing else (no shell, no package manager).
# The HEALTHCHECK is the binary's own.
FROM scratch AS runtime
COPY --from=runtime-libs /rootfs /
WORKDIR /app
COPY config.json md5sums.txt ./
COPY samples ./samples
# Writable by the service user: missing or wrong assets are downloaded here at start-up.
COPY --chown=10001:10001 assets ./assets
# Drop-in profiles (profiles/max-mnist: the upstream MAX-MNIST service), writable for their downloads:
# docker run -p 5000:5000 -e MAX_CONFIG=/app/profiles/max-mnist/config.json max-swift
COPY --chown=10001:10001 profiles ./profiles
USER 10001:10001
EXPOSE 5000
# Ready = assets verified and the model loaded; the port follows APP_PORT / MAX_PORT.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["max-server", "healthcheck", "--timeout", "4"]
# config.json listens on 0.0.0.0:5000; APP_PORT / MAX_* environment variables still override it.
CMD ["max-server", "serve", "--config", "/app/config.json"]
