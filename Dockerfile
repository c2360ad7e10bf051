# Multi-stage build of the one binary with the UI embedded. The same image
# runs `serve`, `worker` and `migrate up` (see docker-compose.yml).
FROM node:20-bookworm-slim AS ui
WORKDIR /src/web/ui
COPY web/ui/package.json web/ui/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ui/ ./
RUN mkdir -p ../dist && npm run build

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=ui /src/web/dist ./web/dist
ARG VERSION=container
RUN CGO_ENABLED=0 go build -ldflags "-X main.version=${VERSION}" -o /out/fiatdashboard ./cmd/fiatdashboard

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 fiatdashboard
COPY --from=build /out/fiatdashboard /usr/local/bin/fiatdashboard
USER fiatdashboard
ENV FD_HTTP_ADDR=:8080 FD_LOG_FORMAT=json
EXPOSE 8080
ENTRYPOINT ["fiatdashboard"]
CMD ["serve"]
