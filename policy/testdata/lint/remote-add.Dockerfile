FROM alpine:3.20
USER 1000
ADD https://example.com/tool.tgz /opt/
ADD --checksum=sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa https://example.com/pinned.tgz /opt/
ADD local.tgz /opt/
