# The local base image `busybox:stable`: no registry is reachable on this project's
# machines, so it is built FROM scratch around Debian's static busybox (busybox-static).
# On a machine that can pull, the real busybox:stable serves the same master copies.
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN mkdir -p /tmp /etc /root /home && chmod 1777 /tmp && \
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >/etc/passwd && \
    printf 'root:x:0:\nnogroup:x:65534:\n' >/etc/group
LABEL io.mastercopy.base="busybox-static"
CMD ["sh"]
