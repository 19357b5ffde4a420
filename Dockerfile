# syntax=docker/dockerfile:1
# Soundroom's release binary on a slim Debian, run as an unprivileged user.
# Build: docker build -t soundroom .   Run two of them: deploy/docker-compose.yml.

FROM rust:1.95-bookworm AS build
WORKDIR /src
# The web client is committed already built (web/dist), and build.rs embeds it: no Node here.
COPY . .
# Cache mounts keep the crate registry and the build directory between builds.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin soundroom \
    && install -D -m 0755 target/release/soundroom /out/soundroom

FROM debian:bookworm-slim
# curl runs the container's health check; ca-certificates serve the TLS connections to Google,
# SMTP and managed databases.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/soundroom --create-home soundroom
COPY --from=build /out/soundroom /usr/local/bin/soundroom
USER 10001:10001
WORKDIR /var/lib/soundroom
ENV APP_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/var/lib/soundroom \
    RUST_LOG=info
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8000/ready"]
ENTRYPOINT ["/usr/local/bin/soundroom"]
