# keysweep and git in a small image, for organisation sweeps (docs/sweeps.md runs it as a Kubernetes Indexed
# Job) and for CI systems without a Rust toolchain. From the repository root:
#   docker build -t ghcr.io/acme/keysweep:latest .        # the image name docs/sweeps.md uses; use your own
#   docker run --rm -v "$PWD:/repo" ghcr.io/acme/keysweep:latest scan /repo --history
# This repository's CI has no Docker engine, so this file is never built there: keep it plain, and build it
# once by hand after changing it.

# The toolchain this repository is developed and tested with.
ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-slim-trixie AS build
WORKDIR /src
COPY . .
# --locked: exactly the dependency versions of Cargo.lock, as CI tests them.
RUN cargo install --locked --path . --root /out

FROM debian:trixie-slim
# git for sweeps (clone --mirror, fetch); ca-certificates for HTTPS (clones, --verify, revoke).
RUN apt-get update \
    && apt-get install -y --no-install-recommends git ca-certificates \
    && rm -rf /var/lib/apt/lists/*
# A repository mounted from the host belongs to another user; git and libgit2 refuse such repositories
# unless they are marked safe. Inside this single-purpose image, every mounted repository is.
RUN git config --system --add safe.directory '*'
# A fixed numeric user, so Kubernetes' runAsNonRoot can verify it (give volumes fsGroup 10001).
RUN useradd --create-home --uid 10001 --user-group keysweep
COPY --from=build /out/bin/keysweep /usr/local/bin/keysweep
USER 10001:10001
WORKDIR /home/keysweep
ENTRYPOINT ["keysweep"]
CMD ["--help"]
