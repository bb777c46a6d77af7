# keyfin in a container: `keyfin serve` speaking FastCGI on TCP port 9000.
# nginx (another container, or a sidecar in the same pod) terminates HTTP/TLS
# in front of it: see docker-compose.yml and deploy/.
#
#   docker build -t keyfin .
#   docker run --rm keyfin --help
#
# No secret is ever part of the image: the server secret comes from
# KEYFIN_SECRET_FILE (a mounted file, mode 0600, owned by uid 10001) or
# KEYFIN_SECRET, the database password from libpq (PGPASSFILE, PGPASSWORD
# or KEYFIN_DATABASE_URL) at run time.

ARG DEBIAN_IMAGE=debian:12.11-slim

# ---- build: compilers and -dev packages, thrown away afterwards -------------
FROM ${DEBIAN_IMAGE} AS build
# Labelled so that the stage image the classic builder keeps (untagged,
# ~560 MB) can be found and removed: see deploy/README.md.
LABEL org.keyfin.stage=build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
	gcc make libc6-dev pkg-config \
	libfcgi-dev libsodium-dev libjson-c-dev libpq-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Only what `make build` reads (.dockerignore keeps the rest out).
COPY Makefile ./
COPY scripts/embed-sql scripts/
COPY include/ include/
COPY src/ src/
COPY sql/ sql/
RUN make build \
 && install -D -m 0755 build/keyfin /out/usr/local/bin/keyfin \
 && /out/usr/local/bin/keyfin --help >/dev/null

# ---- runtime: the four shared libraries keyfin links, nothing else ----------
FROM ${DEBIAN_IMAGE}
# apt's caches are removed here, in the same layer: the official image's
# apt config (docker-clean) would drop the downloaded .debs, but a base
# without it (a debootstrap import, a distroless-style base) would keep them
# and the package lists, ~90 MB.  The result must not depend on the base.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
	libfcgi0ldbl libsodium23 libjson-c5 libpq5 \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb \
	/var/cache/debconf/*-old /var/lib/dpkg/*-old /var/log/apt /var/log/dpkg.log \
	/var/log/alternatives.log \
 && groupadd --system --gid 10001 keyfin \
 && useradd --system --no-log-init --uid 10001 --gid keyfin --no-create-home \
	--home-dir /nonexistent --shell /usr/sbin/nologin keyfin
COPY --from=build /out/ /
# The admin page (~60 kB): the Kubernetes nginx sidecar serves it from here.
COPY web/ /usr/share/keyfin/web/
# The secret and database settings are not set here on purpose.
ENV KEYFIN_LISTEN=0.0.0.0:9000
USER 10001:10001
WORKDIR /
EXPOSE 9000
# SIGTERM: stop accepting, finish the requests in flight, exit 0 (bounded).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/keyfin"]
CMD ["serve"]
