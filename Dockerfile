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

FROM debian:bookworm-slim
# The binary carries the Swift runtime (--static-swift-stdlib); it needs libc, libstdc++ and
# libcurl4 (plus CA certificates for https asset downloads). The HEALTHCHECK is the binary's own.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libcurl4 libstdc++6 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin max
WORKDIR /app
COPY --from=build /staging/max-server /usr/local/bin/max-server
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
