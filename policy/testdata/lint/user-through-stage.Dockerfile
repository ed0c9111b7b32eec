FROM alpine:3.20 AS build
USER build
FROM build
CMD ["app"]
