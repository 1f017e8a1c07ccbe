# Build stage: the web app needs the dev dependencies (Vite, React); only its output goes into the image.
FROM node:24-bookworm-slim AS web
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build:web

# One image for both roles: `claimdesk api` and `claimdesk worker` (see docker-compose.yml).
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# The image has Node 24 itself: the dev dependencies (tests, lint, Vite and the bundled node binary) stay out.
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
# The API serves the app built above at /; nothing builds at start in the image.
COPY --from=web /app/src/web/dist ./src/web/dist
USER node
EXPOSE 3000 9464
ENTRYPOINT ["node", "bin/claimdesk.js"]
CMD ["api"]
