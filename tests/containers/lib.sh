# Shared by tests/containers/run and tests/containers/deb-install (sourced):
# the Docker engine (the running one, or a dockerd started here and stopped
# at the end) and the base image keyfin-test-base:bookworm (made once with
# debootstrap from the Debian mirror apt uses, kept between runs; no
# registry is reachable here).
#
# The caller sets OUT (its output directory, shared by all: build/containers)
# and defines say(); it calls engine_up, and stop_dockerd in its exit trap,
# and base_image, which sets BASE.

BASE_TAG=keyfin-test-base:bookworm

# Debian's docker CLI (20.10) builds with BuildKit without the buildx plugin;
# a newer CLI earlier on PATH would need buildx for it.
DOCKER=docker
[[ -x /usr/bin/docker ]] && DOCKER=/usr/bin/docker
export DOCKER

# ---- the engine ----------------------------------------------------------
STARTED_DOCKERD=
stop_dockerd() {
	[[ -n $STARTED_DOCKERD ]] || return 0
	say "stopping the dockerd started here (pid $STARTED_DOCKERD)"
	kill -TERM "$STARTED_DOCKERD" 2>/dev/null || true
	for _ in $(seq 1 150); do kill -0 "$STARTED_DOCKERD" 2>/dev/null || return 0; sleep 0.2; done
	kill -KILL "$STARTED_DOCKERD" 2>/dev/null || true
}
engine_up() {
	local pid
	# A dockerd that an interrupted run started (its pidfile, still a
	# dockerd): this run stops it at the end.
	if [[ -s $OUT/dockerd.pid ]] && pid=$(cat "$OUT/dockerd.pid") &&
		[[ $(cat "/proc/$pid/comm" 2>/dev/null) == dockerd ]] && $DOCKER info >/dev/null 2>&1; then
		say "adopting dockerd $pid, started by an interrupted run"
		STARTED_DOCKERD=$pid
	elif ! $DOCKER info >/dev/null 2>&1; then
		command -v dockerd >/dev/null || { say "no dockerd: run scripts/deps (docker.io)"; return 1; }
		say "starting dockerd (log: $OUT/dockerd.log)"
		setsid dockerd --pidfile "$OUT/dockerd.pid" >"$OUT/dockerd.log" 2>&1 &
		STARTED_DOCKERD=$!
		for _ in $(seq 1 150); do $DOCKER info >/dev/null 2>&1 && break; sleep 0.2; done
		$DOCKER info >/dev/null 2>&1 || { say "dockerd did not come up:"; tail -20 "$OUT/dockerd.log" >&2; stop_dockerd; return 1; }
	fi
}

# ---- the base image --------------------------------------------------------
debian_mirror() {
	apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null |
		awk '$2 == "bookworm" && $1 ~ /debian\/?$/ { sub(/\/$/, "", $1); print $1; exit }'
}
make_base() {
	local dir mirror
	mirror=$(debian_mirror)
	[[ -n $mirror ]] || { say "no bookworm mirror in apt's sources"; return 1; }
	dir=$(mktemp -d "$OUT/base.XXXXXX")
	say "making $BASE_TAG with debootstrap from $mirror (once; kept between runs)"
	if ! debootstrap --variant=minbase bookworm "$dir" "$mirror" >"$OUT/debootstrap.log" 2>&1; then
		tail -20 "$OUT/debootstrap.log" >&2; rm -rf "$dir"; return 1
	fi
	# The same sources as the host: updates and security too.
	printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb %s-security bookworm-security main\n' \
		"$mirror" "$mirror" "$mirror" >"$dir/etc/apt/sources.list"
	rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/cache/apt/*.bin "$dir"/var/lib/apt/lists/*
	tar -C "$dir" -c . | $DOCKER import -c 'CMD ["bash"]' -c 'LABEL org.keyfin.test=base' - "$BASE_TAG" >/dev/null
	rm -rf "$dir"
}
# Sets BASE: $DEBIAN_IMAGE if set (a local image), else $BASE_TAG, made if
# missing.  `timed` (the caller's) wraps the making when it is defined.
base_image() {
	if [[ -n ${DEBIAN_IMAGE:-} ]]; then
		$DOCKER image inspect "$DEBIAN_IMAGE" >/dev/null 2>&1 || { say "DEBIAN_IMAGE=$DEBIAN_IMAGE: no such local image"; return 1; }
		BASE=$DEBIAN_IMAGE
		say "base image: $BASE (DEBIAN_IMAGE)"
	else
		BASE=$BASE_TAG
		if $DOCKER image inspect "$BASE" >/dev/null 2>&1; then
			say "base image: $BASE (cached)"
			if [[ -f $OUT/timings ]]; then echo "base-image 0 (cached)" >>"$OUT/timings"; fi
		elif declare -F timed >/dev/null; then
			timed base-image make_base
		else
			make_base
		fi
	fi
}
