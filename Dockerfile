# The sift image: the statically linked `sift` binary in an empty root. No base image is
# pulled, so the image builds where no registry is reachable. Build it with
# `scripts/docker-image` (which builds the binary first).
FROM scratch
COPY target/x86_64-unknown-linux-gnu/release/sift /sift
EXPOSE 7600 7700
# The binary is PID 1 with no shell: it handles SIGTERM itself, and the health check runs
# the binary too (exit 0 when the node's API answers).
HEALTHCHECK --interval=5s --timeout=3s CMD ["/sift", "stats", "--api", "127.0.0.1:7700"]
ENTRYPOINT ["/sift"]
CMD ["node", "--listen", "/ip4/0.0.0.0/tcp/7600", "--api", "0.0.0.0:7700", "--data-dir", "/data"]
