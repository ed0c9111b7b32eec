FROM base-step
CMD ["app"]
