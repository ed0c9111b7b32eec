ARG TAG=latest
FROM alpine:${TAG}
USER 1000
