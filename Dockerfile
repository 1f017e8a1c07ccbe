# One image for both roles: `claimdesk api` and `claimdesk worker` (see docker-compose.yml).
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# The image has Node 24 itself: the dev dependencies (tests, lint and the bundled node binary) stay out.
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
USER node
EXPOSE 3000 9464
ENTRYPOINT ["node", "bin/claimdesk.js"]
CMD ["api"]
