FROM alpine:3.20
USER app
USER 0:0
CMD ["app"]
